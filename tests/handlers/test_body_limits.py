"""Issue 17 §4: bodies are capped where they are read (webhooks at Meta's documented 3 MB, the
API's and payment callbacks' at 256 KiB), nothing beyond the cap is read, and large webhook
bodies wait for one of a few slots while Meta's usual small ones never wait.
(The memory this keeps under an attack is measured by bench/body_memory.py.)"""
import asyncio
import json
from unittest import mock

import pytest
from aiohttp import streams
from aiohttp.test_utils import make_mocked_request

from billing.errors import PayloadTooLarge
from handlers.bodies import (API_MAX_BODY, LARGE_BODIES, LARGE_BODY, LARGE_BODY_SLOTS,
                             WEBHOOK_MAX_BODY, read_body)
from tests.helpers import PHONE_A, post_payment_callback, sign, status, status_payload

MIB = 1024 * 1024


async def _too_large(resp) -> None:
    assert resp.status == 413, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "payload_too_large" and error["message"]


def _streamed(total: int, chunk: int = 64 * 1024):
    """A body sent chunked, without Content-Length."""
    async def gen():
        for start in range(0, total, chunk):
            yield b"x" * min(chunk, total - start)
    return gen()


async def test_a_webhook_streamed_past_the_cap_is_413(api):
    resp = await api.client.post("/webhooks/whatsapp", data=_streamed(WEBHOOK_MAX_BODY + 1),
                                 headers={"Content-Type": "application/json",
                                          "X-Hub-Signature-256": "sha256=" + "0" * 64})
    await _too_large(resp)


async def test_a_payment_callback_over_the_api_cap_is_413(api):
    raw = json.dumps({"payment_id": "x", "padding": "x" * API_MAX_BODY}).encode()
    await _too_large(await post_payment_callback(api, raw))


async def test_an_api_body_just_under_the_cap_is_read(api):
    ws, key = await api.create_workspace([PHONE_A])
    raw = b'{"kind": "reply", "count": 1, "x": "' + b"x" * (API_MAX_BODY - 100) + b'"}'
    resp = await api.client.post(f"/v1/workspaces/{ws}/wallet/authorize", data=raw, headers={
        **api.auth(key), "Content-Type": "application/json"})
    assert resp.status == 422    # read and decoded: the unknown field is the only complaint
    assert (await resp.json())["error"]["field"] == "x"


def _request(body: bytes, content_length: int | None) -> tuple:
    stream = streams.StreamReader(mock.Mock(_reading_paused=False), 2 ** 16,
                                  loop=asyncio.get_running_loop())
    stream.feed_data(body)
    stream.feed_eof()
    headers = {} if content_length is None else {"Content-Length": str(content_length)}
    return make_mocked_request("POST", "/webhooks/whatsapp", headers=headers,
                               payload=stream), stream


@pytest.mark.parametrize("declared", [None, 3 * MIB + 1], ids=["chunked", "content-length"])
async def test_nothing_beyond_the_cap_is_read(declared):
    body = b"x" * (WEBHOOK_MAX_BODY + 2 * MIB)
    request, stream = _request(body, declared)
    with pytest.raises(PayloadTooLarge):
        await read_body(request, WEBHOOK_MAX_BODY)
    consumed = len(body) - len(await stream.read())
    assert consumed <= (0 if declared else WEBHOOK_MAX_BODY + 1)


async def test_a_body_is_read_once_and_kept_for_every_reader():
    request, _ = _request(b'{"a": 1}', 8)
    assert await read_body(request) == b'{"a": 1}'
    assert await read_body(request) == b'{"a": 1}'


async def test_small_webhooks_never_wait_for_the_large_body_slots(api):
    """Both slots held (two large bodies being read): Meta's usual small notification is still
    answered; large ones are answered once slots free up, none left hanging."""
    ws, key = await api.create_workspace([PHONE_A])
    slots = api.client.app[LARGE_BODIES]
    for _ in range(LARGE_BODY_SLOTS):
        await slots.acquire()
    resp = await api.webhook(status_payload(PHONE_A, [status("wamid.small", "delivered")]))
    assert resp.status == 200, await resp.text()
    for _ in range(LARGE_BODY_SLOTS):
        slots.release()
    large = json.dumps({"entry": [], "padding": "x" * LARGE_BODY}).encode()
    answers = await asyncio.gather(*[api.client.post("/webhooks/whatsapp", data=large, headers={
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(large) if n % 2 else "sha256=" + "0" * 64})
        for n in range(8)])
    assert sorted(r.status for r in answers) == [200] * 4 + [401] * 4
