"""Request bodies: read once, bounded, and few large ones at a time (issue 17 §4).

- `read_body(request, limit)` refuses a body over `limit` bytes with 413 `payload_too_large`:
  at once when its Content-Length says so, else as soon as one byte more than the limit has
  arrived (counted after any Content-Encoding is undone, so a small compressed body cannot
  expand past it). Nothing beyond the limit is read. The bytes are kept on the request, so the
  Idempotency-Key's hash and the handler read them once.
- `large_body_slot(request)`: a body over LARGE_BODY (or of unknown length) waits for one of
  LARGE_BODY_SLOTS before it is read, and holds it until the request is answered. Bodies wait
  unread, in the kernel's and aiohttp's small socket buffers, so 32 concurrent 3 MiB webhooks,
  signed or not, cost the memory of two (bench/body_memory.py). Meta's real notifications are a
  few kilobytes (the largest sample: 5 KB) and never wait.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

from aiohttp import web

from billing.errors import PayloadTooLarge

API_MAX_BODY = 256 * 1024               # the API's JSON bodies: a few kilobytes
WEBHOOK_MAX_BODY = 3 * 1024 * 1024      # Meta documents webhook payloads of up to 3 MB
LARGE_BODY = 256 * 1024
LARGE_BODY_SLOTS = 2
_CHUNK = 64 * 1024

BODY = web.RequestKey("body", bytes)
LARGE_BODIES = web.AppKey("large_bodies", asyncio.Semaphore)


def setup_bodies(app: web.Application) -> None:
    app[LARGE_BODIES] = asyncio.Semaphore(LARGE_BODY_SLOTS)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Body larger than {limit:,} bytes")


async def read_body(request: web.Request, limit: int = API_MAX_BODY) -> bytes:
    if BODY in request:
        return request[BODY]
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit)
    chunks, size = [], 0      # joined once: no copies of a growing buffer (heap fragmentation)
    while chunk := await request.content.read(min(_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
    request[BODY] = b"".join(chunks)
    return request[BODY]


def large_body_slot(request: web.Request) -> contextlib.AbstractAsyncContextManager:
    """`async with` it around reading and handling the body. A small body with its length
    declared (every real notification) takes no slot and builds nothing: a shared no-op (a
    generator-based context manager cost several µs per webhook)."""
    declared = request.content_length
    if declared is not None and declared <= LARGE_BODY:
        return _NO_SLOT
    return _slot(request)


class _NoSlot(contextlib.AbstractAsyncContextManager):
    async def __aexit__(self, *exc: object) -> None:
        return None


_NO_SLOT = _NoSlot()


@contextlib.asynccontextmanager
async def _slot(request: web.Request) -> AsyncIterator[None]:
    async with request.app[LARGE_BODIES]:
        try:
            yield
        finally:
            request.pop(BODY, None)
