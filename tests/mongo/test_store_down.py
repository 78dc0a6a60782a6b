"""Issue 17 §1: a store that cannot be reached is a fast 503 `store_unavailable` with
`Retry-After` (never a 500 after 5 s), webhooks that cannot be stored answer 503 so that Meta
retries, and the service recovers by itself when the store is back.

These tests run their own NX-27017 on a port of their own (the session's store stays up), kill
it with SIGKILL as a crash would, and start it again on the same port and files."""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pymongo.errors import AutoReconnect

from service.mongo.embedded import free_port, ping, uri_for
from service.runtime.app import create_app
from service.runtime.settings import Settings
from service.whatsapp import webhooks
from tests.helpers import (ADMIN_TOKEN, APP_SECRETS, PAYMENT_SECRET, PHONE_A, VERIFY_TOKEN, Api,
                           app_services, assert_reconciled, sign,
                           status, status_payload)

TIMEOUT = timedelta(seconds=1)
FAST = 4.0           # seconds: the store timeout, once more for a retried read, and slack


class Store:
    """One NX-27017 process on a fixed port and data directory."""

    def __init__(self, data_dir) -> None:
        self.data_dir, self.port, self.process = data_dir, free_port(), None

    @property
    def uri(self) -> str:
        return uri_for(self.port)

    async def start(self) -> None:
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "nx-27017"), "--data-dir", str(self.data_dir), "--host",
             "127.0.0.1", "--port", str(self.port), "--pid-file", str(self.data_dir / "pid"),
             "--log-file", str(self.data_dir / "log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while not await ping(self.uri):           # poll with a deadline
            assert self.process.poll() is None and time.monotonic() < deadline

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
async def store(tmp_path):
    store = Store(tmp_path)
    await store.start()
    yield store
    store.kill()


@pytest.fixture
async def api(aiohttp_client, store, clock) -> Api:
    settings = Settings(mongodb_uri=store.uri, mongodb_db="saldo", whatsapp_log_db="saldo_wa",
                        admin_token=ADMIN_TOKEN, whatsapp_verify_token=VERIFY_TOKEN,
                        whatsapp_app_secrets=APP_SECRETS, payment_webhook_secret=PAYMENT_SECRET,
                        payment_provider="sandbox", sweep_interval=timedelta(hours=1),
                        store_timeout=TIMEOUT)
    return Api(await aiohttp_client(create_app(settings, clock=clock, background=False)), clock)


def requests(ws: str, key: str) -> dict:
    """What a user does, by name: (method, path, body bytes, headers)."""
    auth = {"Authorization": f"Bearer {key}"}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    topup = json.dumps({"balance": "conversation", "amount": 50_000}).encode()
    webhook = json.dumps(status_payload(PHONE_A, [status("wamid.down", "delivered")])).encode()
    return {
        "wallet": ("GET", f"/v1/workspaces/{ws}/wallet", None, auth),
        "topup order": ("POST", f"/v1/workspaces/{ws}/topups", topup,
                        {**auth, "Content-Type": "application/json",
                         "Idempotency-Key": "while-down"}),
        "plans": ("GET", "/v1/plans", None, {}),
        "reconcile": ("GET", "/v1/admin/reconcile", None, admin),
        "signed webhook": ("POST", "/webhooks/whatsapp", webhook,
                           {"Content-Type": "application/json",
                            "X-Hub-Signature-256": sign(webhook)}),
    }


async def send(api: Api, request: tuple):
    method, path, body, headers = request
    return await api.client.request(method, path, data=body, headers=headers)


async def test_a_store_that_is_down_is_a_fast_503_and_recovery_is_automatic(api, store):
    ws, key = await api.create_workspace([PHONE_A])
    calls = requests(ws, key)
    store.kill()
    for name, request in calls.items():
        started = time.monotonic()
        resp = await send(api, request)
        elapsed = time.monotonic() - started
        assert resp.status == 503, (name, await resp.text())
        assert int(resp.headers["Retry-After"]) >= 1, name
        error = (await resp.json())["error"]
        assert error["code"] == "store_unavailable" and error["message"], name
        assert elapsed < FAST, (name, elapsed)

    await store.start()
    deadline = time.monotonic() + 15
    while (await send(api, calls["wallet"])).status != 200:     # poll with a deadline
        assert time.monotonic() < deadline, "the service did not reconnect to its store"
    expected = {"wallet": 200, "topup order": 201, "plans": 200, "reconcile": 200,
                "signed webhook": 200}
    for name, request in calls.items():
        resp = await send(api, request)
        assert resp.status == expected[name], (name, await resp.text())
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
    await assert_reconciled(api)


async def test_a_payload_stored_while_the_ledger_is_unreachable_is_not_counted_as_a_failure(
        api, store, monkeypatch):
    """The payload is durable (200), its processing met a store outage: no attempt is counted,
    so an outage never parks a payload; the sweep charges it once the store is back."""
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)

    async def unreachable(*args, **kwargs):
        raise AutoReconnect("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(svc.ledger, "post", unreachable)
        resp = await api.webhook(status_payload(PHONE_A, [status("wamid.later", "delivered")]))
        assert resp.status == 200, await resp.text()
    stored = await svc.whatsapp.db.wa_payloads.find_one({})
    assert stored.get("attempts", 0) == 0 and stored.get("processed_ms") is None
    api.clock.advance(timedelta(minutes=2))
    assert (await webhooks.sweep(svc))["reprocessed"] == 1
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
