"""Switching gateways by configuration alone: SALDO_PAYMENT_PROVIDER and the gateways' secrets
from the environment, checked at start-up; payments keep the provider that created them;
Midtrans' statuses; the retrying client's deadline and backoff."""
from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from billing.errors import GatewayUnavailable
from service.payments.gateway_http import Backoff, GatewayHttp
from service.runtime.app import create_app
from service.runtime.settings import Settings
from tests.helpers import Api, topup
from tests.payments.gateway_helpers import CREDITED, UNTOUCHED, make_rig

ENV = {"SALDO_PAYMENT_PROVIDER": "xendit", "XENDIT_SECRET_KEY": "xnd_development_k",
       "XENDIT_CALLBACK_TOKEN": "tok", "XENDIT_BASE_URL": "http://127.0.0.1:9",
       "MIDTRANS_SERVER_KEY": "SB-Mid-server-k", "MIDTRANS_IS_PRODUCTION": "true",
       "MIDTRANS_BASE_URL": "http://127.0.0.1:8", "MIDTRANS_API_BASE_URL": "http://127.0.0.1:7",
       "SALDO_GATEWAY_TIMEOUT": "5s", "SALDO_GATEWAY_ATTEMPTS": "4"}


def test_the_gateways_are_configured_from_the_environment_and_kept_out_of_repr():
    settings = Settings.from_env(ENV)
    assert (settings.payment_provider, settings.xendit_base_url) == ("xendit",
                                                                     "http://127.0.0.1:9")
    assert settings.midtrans_is_production is True
    assert (settings.gateway_timeout, settings.gateway_attempts) == (timedelta(seconds=5), 4)
    assert "xnd_development_k" not in repr(settings) and "SB-Mid-server-k" not in repr(settings)
    defaults = Settings.from_env({})
    assert defaults.xendit_base_url == "https://api.xendit.co"
    assert defaults.midtrans_is_production is False


@pytest.mark.parametrize("env, missing", [
    ({"SALDO_PAYMENT_PROVIDER": "xendit"}, "XENDIT_SECRET_KEY and XENDIT_CALLBACK_TOKEN"),
    ({"SALDO_PAYMENT_PROVIDER": "xendit", "XENDIT_SECRET_KEY": "k"}, "XENDIT_CALLBACK_TOKEN"),
    ({"SALDO_PAYMENT_PROVIDER": "midtrans"}, "MIDTRANS_SERVER_KEY"),
    ({"SALDO_PAYMENT_PROVIDER": "sandbox", "XENDIT_CALLBACK_TOKEN": "t"}, "XENDIT_SECRET_KEY"),
])
async def test_a_missing_gateway_secret_stops_the_start_with_a_clear_message(
        aiohttp_client, settings, clock, env, missing):
    from_env = Settings.from_env(env)
    configured = dataclasses.replace(
        settings, payment_provider=from_env.payment_provider,
        xendit_secret_key=from_env.xendit_secret_key,
        xendit_callback_token=from_env.xendit_callback_token,
        midtrans_server_key=from_env.midtrans_server_key)
    with pytest.raises(ValueError, match=f"needs {missing} in the environment"):
        await aiohttp_client(create_app(configured, clock=clock, background=False))


async def test_payments_keep_their_provider_after_a_switch(aiohttp_client, aiohttp_server,
                                                           settings, clock):
    before = await make_rig(aiohttp_client, aiohttp_server, settings, clock, "xendit",
                            names=("xendit", "midtrans"))
    ws, key, old = await before.order()
    assert old["payment"]["provider"] == "xendit"
    # the agency switches to Midtrans (Xendit's keys stay set for its older payments)
    from tests.payments.gateway_helpers import gateway_settings
    switched = gateway_settings(settings, {n: f.base for n, f in before.fakes.items()},
                                "midtrans")
    api = Api(await aiohttp_client(create_app(switched, clock=clock, background=False)), clock)
    new = await topup(api, ws, key, "conversation", 50_000)
    assert new["payment"]["provider"] == "midtrans"
    xendit, midtrans = before.fakes["xendit"], before.fakes["midtrans"]
    xendit.pay(old["payment"]["id"])
    raw, headers = xendit.notification(old["payment"]["id"])
    assert (await api.client.post("/webhooks/payments/xendit", data=raw,
                                  headers=headers)).status == 200
    assert await api.amounts(ws, key) == CREDITED
    midtrans.pay(new["payment"]["id"])
    raw, headers = midtrans.notification(new["payment"]["id"])
    assert (await api.client.post("/webhooks/payments/midtrans", data=raw,
                                  headers=headers)).status == 200
    assert (await api.amounts(ws, key))["conversation"] == (15000, 100_000, 0)


async def test_midtrans_challenge_and_pending_are_not_success_and_deny_fails(
        aiohttp_client, aiohttp_server, settings, clock):
    rig = await make_rig(aiohttp_client, aiohttp_server, settings, clock, "midtrans")
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    for status, fraud in (("pending", None), ("capture", "challenge")):
        rig.gw.pay(pid, status=status, fraud=fraud, payment_type="credit_card")
        resp = await rig.notify(pid)
        assert resp.status == 200
        assert (await resp.json())["payment"]["status"] == "pending"
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    rig.gw.pay(pid, status="capture", fraud="accept", payment_type="credit_card")
    assert (await (await rig.notify(pid)).json())["payment"]["status"] == "succeeded"
    assert await rig.api.amounts(ws, key) == CREDITED
    other = await topup(rig.api, ws, key, "conversation", 50_000)
    rig.gw.pay(other["payment"]["id"], status="deny", fraud="deny")
    resp = await rig.notify(other["payment"]["id"])
    assert (await resp.json())["payment"]["status"] == "failed"
    assert await rig.api.amounts(ws, key) == CREDITED


async def test_the_client_retries_under_one_deadline_and_never_holds_longer(aiohttp_server):
    hits = []

    async def flaky(request):
        hits.append(1)
        if len(hits) < 3:
            return web.json_response({}, status=502)
        return web.json_response({"ok": True})

    never = asyncio.Event()

    async def slow(request):
        await never.wait()

    app = web.Application()
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/slow", slow)
    server = await aiohttp_server(app)
    pauses: list[float] = []

    async def record(seconds):
        pauses.append(seconds)
    jitter = iter([0.9, 0.1, 0.5, 0.5, 0.5])
    async with aiohttp.ClientSession() as session:
        http = GatewayHttp("fake", session, deadline=timedelta(milliseconds=600), attempts=3,
                           backoff=Backoff(base=0.2, cap=2.0, sleep=record,
                                           random=lambda: next(jitter)))
        answer = await http.call("GET", str(server.make_url("/flaky")), headers={})
        assert answer.ok and answer.body == {"ok": True}
        assert pauses == [pytest.approx(0.2 * 0.9), pytest.approx(0.4 * 0.1)]
        started = time.monotonic()
        with pytest.raises(GatewayUnavailable):
            await http.call("GET", str(server.make_url("/slow")), headers={})
        assert time.monotonic() - started < 0.6 + 1.0
    never.set()
