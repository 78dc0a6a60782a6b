"""Gateways down or slow (timeouts, 5xx, rate limits): retried with backoff within a deadline,
never holding a request longer; the order still gets its invoice, and its link later; a lost
notification is recovered by the status poll, exactly once."""
from __future__ import annotations

import time
from datetime import timedelta

from service.payments import polling
from tests.helpers import app_services
from tests.payments.gateway_helpers import CREATE, CREDITED, DEADLINE, STATUS, UNTOUCHED

SLACK = 1.5      # seconds of a loaded machine on top of the deadline


async def test_a_lost_notification_is_recovered_by_the_status_poll_exactly_once(rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.gw.pay(pid)                                    # paid; the notification never comes
    svc = app_services(rig.api)
    assert (await polling.sweep(svc))["payments_polled"] == 0       # too fresh to ask about
    rig.api.clock.advance(polling.POLL_AFTER + timedelta(seconds=1))
    assert (await polling.sweep(svc))["payments_polled"] == 1
    assert await rig.api.amounts(ws, key) == CREDITED
    assert (await polling.sweep(svc))["payments_polled"] == 0
    assert (await rig.notify(pid)).status == 200                     # arrives after all
    assert await rig.api.amounts(ws, key) == CREDITED
    assert (await rig.api.reconcile())["ok"] is True


async def test_a_still_pending_payment_is_asked_about_once_per_poll_interval(rig):
    await rig.order()
    svc = app_services(rig.api)
    rig.api.clock.advance(polling.POLL_AFTER + timedelta(seconds=1))
    await polling.sweep(svc)
    await polling.sweep(svc)
    asked = rig.gw.knobs.of(STATUS[rig.name].split("{")[0])
    assert len([c for c in asked if c.path.count("/") >= 3]) == 1


async def test_a_gateway_that_hangs_on_create_does_not_hold_the_order(rig):
    for route in CREATE[rig.name]:
        rig.gw.knobs.hang(route)
    ws, key = await rig.api.create_workspace(["109876543210987"])
    started = time.monotonic()
    resp = await rig.api.client.post(f"/v1/workspaces/{ws}/topups", headers=rig.api.auth(key),
                                     json={"balance": "conversation", "amount": 50_000})
    assert time.monotonic() - started < DEADLINE.total_seconds() + SLACK
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["invoice"]["status"] == "pending" and body["invoice"]["code"]
    assert body["payment"]["checkout_url"] is None           # its link comes later
    code = body["invoice"]["code"]
    still_down = await rig.api.client.post(f"/v1/workspaces/{ws}/invoices/{code}/pay",
                                           headers=rig.api.auth(key))
    assert still_down.status == 503
    assert (await still_down.json())["error"]["code"] == "payment_gateway_unavailable"
    assert still_down.headers["Retry-After"]
    rig.gw.knobs.heal()
    resp = await rig.api.client.post(f"/v1/workspaces/{ws}/invoices/{code}/pay",
                                     headers=rig.api.auth(key))
    assert resp.status == 200, await resp.text()
    paid_later = await resp.json()
    assert paid_later["payment"]["id"] == body["payment"]["id"]
    assert paid_later["payment"]["checkout_url"].startswith(rig.gw.base)
    rig.gw.pay(body["payment"]["id"])
    assert (await rig.notify(body["payment"]["id"])).status == 200
    assert await rig.api.amounts(ws, key) == CREDITED


async def test_5xx_and_rate_limits_on_create_are_retried_with_backoff_and_jitter(rig):
    rig.gw.knobs.fail(CREATE[rig.name][-1], 503, 429)
    ws, key, body = await rig.order()
    assert body["payment"]["checkout_url"].startswith(rig.gw.base)
    assert rig.pauses.asked == [0.2 * 0.5, 0.4 * 0.5]      # base × 2^n × jitter (0.5 here)
    assert len(rig.gw.knobs.of(CREATE[rig.name][-1])) == 3


async def test_the_sweep_opens_a_link_the_gateway_could_not_give_at_order_time(rig):
    rig.gw.knobs.fail(CREATE[rig.name][0], 500, 502, 503)
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    assert body["payment"]["checkout_url"] is None
    svc = app_services(rig.api)
    rig.api.clock.advance(polling.REOPEN_AFTER + timedelta(seconds=1))
    assert (await polling.sweep(svc))["payment_links_opened"] == 1
    stored = await svc.db.payments.find_one({"_id": pid})
    assert stored["checkout_url"].startswith(rig.gw.base)
    assert (await polling.sweep(svc))["payment_links_opened"] == 0
    rig.gw.pay(pid)
    assert (await rig.notify(pid)).status == 200
    assert await rig.api.amounts(ws, key) == CREDITED


async def test_a_status_api_that_times_out_answers_503_and_credits_nothing_until_it_is_back(
        rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.gw.pay(pid)
    rig.gw.knobs.hang(STATUS[rig.name])
    started = time.monotonic()
    resp = await rig.notify(pid)
    assert time.monotonic() - started < DEADLINE.total_seconds() + SLACK
    assert resp.status == 503                      # the gateway sends it again later
    assert (await resp.json())["error"]["code"] == "payment_gateway_unavailable"
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    rig.gw.knobs.heal()
    assert (await rig.notify(pid)).status == 200
    assert await rig.api.amounts(ws, key) == CREDITED


async def test_a_status_api_failing_with_5xx_leaves_the_poll_to_a_later_pass(rig):
    ws, key, body = await rig.order()
    rig.gw.pay(body["payment"]["id"])
    svc = app_services(rig.api)
    rig.api.clock.advance(polling.POLL_AFTER + timedelta(seconds=1))
    rig.gw.knobs.fail(STATUS[rig.name], 500, 500, 500)
    assert (await polling.sweep(svc))["payments_polled"] == 0
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    assert (await polling.sweep(svc))["payments_polled"] == 1
    assert await rig.api.amounts(ws, key) == CREDITED
