"""Signed delivery of the events a workspace's own actions cause, to its registered URL, once
(issue 15 item 5)."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from service.outbound.worker import deliver_pass
from service.runtime.app import create_app
from tests.addon_helpers import addon_body, buy_and_pay, create_addon
from tests.helpers import ADMIN_TOKEN, PHONE_A, Api, app_services, press_pay, topup
from tests.outbound.receiver import deliver, register
from tests.subscription_helpers import change, pay


async def test_a_top_up_an_add_on_and_a_plan_change_arrive_signed(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A], plan="growth")
    created = await register(hooks, key, receiver.url)
    receiver.secrets.append(created["secret"])
    placed = await topup(hooks, ws, key, amount=50_000)
    assert (await press_pay(hooks, placed["payment"]["id"])).status == 200
    addon = await create_addon(hooks, addon_body("extra-user"))
    await buy_and_pay(hooks, ws, key, addon["id"])
    await pay(hooks, await change(hooks, ws, key, "pro"))

    summary = await deliver(hooks)

    types = receiver.types()
    assert "topup.completed" in types
    assert "subscription.addon_added" in types
    paid = [r.body["data"]["data"]["type"] for r in receiver.received if r.type == "invoice.paid"]
    assert sorted(paid) == ["addon", "plan_change", "topup"]
    assert all(r.verified_by == [created["secret"]] for r in receiver.received)
    assert summary["delivered"] == len(receiver.received) == len(set(receiver.event_ids()))
    first = receiver.received[0]
    assert first.body["data"]["workspace_id"] == ws
    assert first.body["data"]["id"] == first.headers["webhook-id"]
    assert int(first.headers["webhook-timestamp"]) == int(hooks.clock.now().timestamp())


async def test_an_acknowledged_event_is_delivered_exactly_once(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    receiver.secrets.append((await register(hooks, key, receiver.url))["secret"])
    await topup(hooks, ws, key)
    await deliver(hooks)
    sent = len(receiver.received)
    assert sent >= 1
    for _ in range(3):
        hooks.clock.advance(timedelta(days=1))
        assert await deliver(hooks) == {}
    assert len(receiver.received) == sent


async def test_events_before_the_endpoint_existed_are_not_sent(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    await topup(hooks, ws, key)
    await deliver_pass(app_services(hooks), hooks.clock.now())
    hooks.clock.advance(timedelta(seconds=1))
    await register(hooks, key, receiver.url)
    await deliver(hooks)
    assert receiver.received == []


async def test_the_web_process_delivers_in_the_background(aiohttp_client, settings, clock,
                                                          receiver):
    """With `background` (as `python -m service` runs), the app's own loop sends the event:
    the test waits for the receiver's request, not for a time."""
    looping = replace(settings, webhooks_allow_private=True,
                      webhook_interval=timedelta(milliseconds=50))
    api = Api(await aiohttp_client(create_app(looping, clock=clock, background=True)), clock)
    ws, key = await api.create_workspace([PHONE_A])
    receiver.secrets.append((await register(api, key, receiver.url,
                                            event_types=["invoice.created"]))["secret"])
    await topup(api, ws, key)
    await asyncio.wait_for(receiver.arrived.wait(), timeout=30)
    assert receiver.types() == ["invoice.created"]
    assert receiver.received[0].verified_by == receiver.secrets


async def test_events_written_before_outbound_webhooks_existed_are_never_sent(hooks, receiver):
    """An event document without `dispatched` (written by an earlier version) is history."""
    await register(hooks, ADMIN_TOKEN, receiver.url)
    await app_services(hooks).db.events.insert_one({
        "_id": "inv_old:invoice.paid", "type": "invoice.paid", "object": "invoice",
        "object_id": "inv_old", "workspace_id": None, "data": {}, "created_at": hooks.clock.now()})
    assert await deliver(hooks) == {}
    assert receiver.received == []
