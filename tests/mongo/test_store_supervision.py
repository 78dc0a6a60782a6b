"""A dead embedded store comes back by itself (issue 17 item 2): `kill -9` of an NX-27017 child
makes `/healthz` answer 503 naming the store at once; the supervisor starts it again on the
same files and port, the app's clients reconnect, `/healthz` is 200 again and what was written
before is still there. These tests start an app on embedded servers of their own (a temporary
data directory), not the suite's shared store."""
import asyncio
import dataclasses
import json
import os
import signal
import time

import pytest

from service.runtime.app import create_app
from tests.helpers import FIXTURES, PHONE_A, Api, app_services

SAMPLE = "05_status_delivered_marketing.json"


async def healthz(api: Api) -> tuple[int, dict]:
    resp = await api.client.get("/healthz")
    return resp.status, await resp.json()


async def until(api: Api, status: int, within_s: float) -> dict:
    """Poll /healthz until it answers `status` (→ its body), failing after `within_s`."""
    deadline = time.monotonic() + within_s
    while True:
        got, body = await healthz(api)
        if got == status:
            return body
        assert time.monotonic() < deadline, f"/healthz still {got} {body} after {within_s} s"
        await asyncio.sleep(0.02)   # between polls of a deadline, not a synchronisation


def address(data_dir) -> dict:
    return json.loads((data_dir / "nx-27017.json").read_text())


@pytest.fixture
async def embedded(aiohttp_client, settings, clock, tmp_path) -> Api:
    own = dataclasses.replace(settings, mongodb_uri=None, data_dir=tmp_path / "var")
    return Api(await aiohttp_client(create_app(own, clock=clock, background=False)), clock)


@pytest.mark.parametrize("store, subdir", [("main", ""), ("whatsapp_log", "whatsapp-log")])
async def test_a_killed_store_is_reported_then_restarted_with_its_data(embedded, tmp_path,
                                                                       store, subdir):
    api = embedded
    assert await healthz(api) == (200, {"ok": True})
    ws, key = await api.create_workspace([PHONE_A])
    payload = json.loads((FIXTURES / SAMPLE).read_text())
    assert (await api.webhook(payload)).status == 200
    log_db = app_services(api).whatsapp.db
    stored = await log_db.wa_payloads.count_documents({})
    data_dir = tmp_path / "var" / subdir
    before = address(data_dir)

    os.kill(before["pid"], signal.SIGKILL)
    body = await until(api, 503, within_s=2)
    assert body["stores"][store] == "down" and body["ok"] is False
    await until(api, 200, within_s=60)

    after = address(data_dir)
    assert after["uri"] == before["uri"] and after["pid"] != before["pid"]   # same port
    wallet = await api.client.get(f"/v1/workspaces/{ws}/wallet", headers=api.auth(key))
    assert wallet.status == 200, await wallet.text()
    assert await log_db.wa_payloads.count_documents({}) == stored >= 1


async def test_healthz_is_200_when_every_store_answers(api):
    assert await healthz(api) == (200, {"ok": True})

