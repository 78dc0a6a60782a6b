"""Recovery sweeps in the web process: run once at start-up (to finish what a crash left
behind), then, with `background`, every `interval`. Every sweep is idempotent, so running it on
several instances at once is safe."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import AsyncIterator, Awaitable, Callable

from aiohttp import web

from service.runtime.context import SERVICES, Services

log = logging.getLogger("saldo.background")
Sweep = Callable[..., Awaitable[dict]]


def sweeper(name: str, sweep: Sweep, interval: Callable[[Services], timedelta], *,
            background: bool, at_start: bool = True):
    """A cleanup context: `sweep(svc, everything=True)` at start-up (unless not `at_start`),
    `sweep(svc)` periodically."""
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        svc = app[SERVICES]
        if at_start:
            summary = await sweep(svc, everything=True)
            log.info(f"{name}: start-up recovery", extra={"fields": summary})
        task = asyncio.create_task(_forever(name, sweep, svc, interval)) if background else None
        yield
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return ctx


async def _forever(name: str, sweep: Sweep, svc: Services,
                   interval: Callable[[Services], timedelta]) -> None:
    while True:
        await asyncio.sleep(interval(svc).total_seconds())  # a schedule, not a synchronisation
        try:
            summary = await sweep(svc)
            if any(summary.values()):
                log.info(f"{name}: sweep", extra={"fields": summary})
        except Exception:
            log.exception("%s: sweep failed; will retry", name)
