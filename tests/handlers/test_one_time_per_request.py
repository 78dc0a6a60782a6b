"""One time per use case (issue 10 item 4): every money-moving request reads the clock at most
once and passes that `now` down; one billing pass reads it once (or not at all when given `now`).
A counting wrapper around the test FrozenClock tells how often it was read."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest

from service.runtime.clock import FrozenClock
from service.subscriptions.billing_run import run_pass
from tests.addon_helpers import EXTRA_USER, buy, create_addon, set_quantity, stop
from tests.conftest import START
from tests.helpers import (ADMIN_TOKEN, PHONE_A, Api, app_services, order_topup, press_pay,
                           status, status_payload)
from tests.subscription_helpers import IMMEDIATE_UPGRADES, post, set_policy


class CountingClock:
    """The test FrozenClock, counting its reads."""

    def __init__(self, frozen: FrozenClock) -> None:
        self._frozen = frozen
        self.reads = 0

    def now(self) -> datetime:
        self.reads += 1
        return self._frozen.now()

    def set(self, at: datetime) -> None:
        self._frozen.set(at)

    def advance(self, delta: timedelta) -> datetime:
        return self._frozen.advance(delta)


@pytest.fixture
def clock() -> CountingClock:
    return CountingClock(FrozenClock(START))


@asynccontextmanager
async def one_read(clock: CountingClock, what: str):
    clock.reads = 0
    yield
    assert clock.reads <= 1, f"{what} read the clock {clock.reads} times"


async def _ok(resp, status: int = 200) -> dict:
    assert resp.status == status, await resp.text()
    return await resp.json() if resp.content_type == "application/json" else {}


async def test_a_top_up_and_its_payment_read_the_clock_once_each(api: Api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    async with one_read(clock, "order a top-up"):
        placed = await _ok(await order_topup(api, ws, key), 201)
    async with one_read(clock, "pay it (sandbox Pay)"):
        await _ok(await press_pay(api, placed["payment"]["id"]))


async def test_add_on_requests_read_the_clock_once_each(api: Api, clock):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, EXTRA_USER)
    async with one_read(clock, "buy an add-on"):
        placed = await _ok(await buy(api, ws, key, seat["id"], 2), 201)
    async with one_read(clock, "pay the add-on"):
        await _ok(await press_pay(api, placed["payment"]["id"]))
    async with one_read(clock, "raise its quantity"):
        await _ok(await set_quantity(api, ws, key, seat["id"], 3))
    async with one_read(clock, "lower its quantity"):
        await _ok(await set_quantity(api, ws, key, seat["id"], 1))
    async with one_read(clock, "stop it now"):
        await _ok(await stop(api, ws, key, seat["id"], "now"))


async def test_plan_changes_read_the_clock_once_each(api: Api, clock):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    async with one_read(clock, "change plan at the end of the term"):
        await _ok(await post(api, ws, key, "change", {"plan": "pro", "period": "monthly"}))
    async with one_read(clock, "undo the scheduled change"):
        await _ok(await api.client.delete(f"/v1/workspaces/{ws}/subscription/scheduled-change",
                                          headers=api.auth(key)))
    async with one_read(clock, "renew"):
        await _ok(await post(api, ws, key, "renew"), 201)
    async with one_read(clock, "cancel"):
        await _ok(await post(api, ws, key, "cancel"))
    await set_policy(api, IMMEDIATE_UPGRADES)
    async with one_read(clock, "an immediate upgrade"):
        placed = await _ok(await post(api, ws, key, "change", {"plan": "pro",
                                                               "period": "monthly"}))
    async with one_read(clock, "pay the upgrade"):
        await _ok(await press_pay(api, placed["payment"]["id"]))


async def test_a_workspace_on_a_paid_plan_reads_the_clock_once(api: Api, clock):
    async with one_read(clock, "create a workspace on a paid plan"):
        await _ok(await api.client.post("/v1/workspaces", headers=api.auth(ADMIN_TOKEN), json={
            "name": "Toko Budi", "phone_number_ids": [PHONE_A], "plan": "growth"}), 201)


async def test_a_billing_pass_reads_the_clock_at_most_once(api: Api, clock):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await post(api, ws, key, "cancel")
    await order_topup(api, ws, key)
    clock.set(START + timedelta(days=31))
    clock.reads = 0
    await run_pass(app_services(api), None)
    assert clock.reads == 1, f"a billing pass read the clock {clock.reads} times"
    clock.set(START + timedelta(days=62))
    clock.reads = 0
    await run_pass(app_services(api), clock._frozen.now())
    assert clock.reads == 0, f"a billing pass given `now` read the clock {clock.reads} times"


async def test_a_whatsapp_status_webhook_reads_the_clock_once(api: Api, clock):
    await api.create_workspace([PHONE_A])
    async with one_read(clock, "a WhatsApp status webhook"):
        resp = await api.webhook(status_payload(PHONE_A, [status("wamid.ONE", "sent")]))
        assert resp.status == 200, await resp.text()
