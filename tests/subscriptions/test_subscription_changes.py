"""Plan changes through the API: at the next cycle (default policy), immediately and prorated
(policy table), period switch, cancel, replace and undo."""
import pytest

from tests.conftest import START
from tests.helpers import PHONE_A, assert_reconciled, press_pay
from tests.subscription_helpers import (IMMEDIATE_UPGRADES, change, granted, invoices, pay,
                                        post, run_due, set_policy, subscription, wib)

DEC_21 = wib(2026, 12, 21, 10)  # end of the first period (created 2026-11-21 10:00 WIB)


async def test_new_workspace_subscription_shows_plan_period_and_usage(api):
    ws, key = await api.create_workspace([PHONE_A])
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["period"], sub["status"]) == ("free", "monthly", "active")
    assert sub["current_period"]["start"].startswith("2026-11-21T03:00:00")
    assert sub["current_period"]["end"].startswith("2026-12-21T03:00:00")
    assert sub["scheduled_change"] is None and sub["addons"] == []
    assert sub["usage"] == {
        "users": {"used": 0, "maximum": 1, "exceeded": False},
        "contacts": {"used": 0, "maximum": 500, "exceeded": False},
        "broadcast_quota": {"used": 0, "maximum": 0, "exceeded": False}}


async def test_upgrade_from_free_is_invoiced_and_applies_at_the_next_cycle_once_paid(api):
    ws, key = await api.create_workspace([PHONE_A])
    placed = await change(api, ws, key, "growth")
    assert placed["invoice"]["type"] == "subscription"
    assert placed["invoice"]["amount"]["amount"] == 299_000
    assert placed["quote"]["effective_at"].startswith("2026-12-21T03:00:00")
    scheduled = placed["subscription"]["scheduled_change"]
    assert (scheduled["plan"], scheduled["timing"]) == ("growth", "end_of_term")
    assert placed["invoice"]["code"] == scheduled["invoice_code"]
    await pay(api, placed)
    await run_due(api, wib(2026, 12, 1))
    assert (await subscription(api, ws, key))["plan"] == "free"   # not before the boundary
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["scheduled_change"]) == ("growth", None)
    assert sub["current_period"]["end"].startswith("2027-01-21T03:00:00")
    assert await granted(api, ws, key) == 30_000     # Free's Rp15.000 expired, Growth granted
    workspace = await (await api.client.get(f"/v1/workspaces/{ws}", headers=api.auth(key))).json()
    assert workspace["plan"] == "growth"             # rates_for follows the plan
    await assert_reconciled(api)


async def test_unpaid_change_is_not_applied(api):
    ws, key = await api.create_workspace([PHONE_A])
    await change(api, ws, key, "pro")
    await run_due(api, DEC_21)
    assert (await subscription(api, ws, key))["plan"] == "free"
    assert await granted(api, ws, key) == 15_000


async def test_downgrade_lists_shrinking_limits_and_applies_at_the_next_cycle(api):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    resp = await api.client.put(f"/v1/workspaces/{ws}/usage", json={"users": 9, "contacts": 20},
                                headers=api.auth(key))
    assert resp.status == 200
    quote = await (await post(api, ws, key, "quote", {"plan": "growth", "period": "monthly",
                                                      "addons": []})).json()
    assert (quote["direction"], quote["timing"], quote["invoice_type"]) == (
        "downgrade", "end_of_term", "plan_change")
    assert quote["total"]["amount"] == 299_000
    shrink = {s["limit"]: s for s in quote["shrinking_limits"]}
    assert shrink["users"] == {"limit": "users", "used": 9, "current_maximum": 15,
                               "new_maximum": 5, "exceeded": True}
    placed = await change(api, ws, key, "growth")
    await pay(api, placed)
    await run_due(api, DEC_21)
    assert (await subscription(api, ws, key))["plan"] == "growth"
    assert await granted(api, ws, key) == 30_000


async def test_period_switch_monthly_to_yearly_takes_effect_at_the_next_cycle(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    placed = await change(api, ws, key, "growth", "yearly")
    assert placed["quote"]["direction"] == "period_change"
    assert placed["invoice"]["type"] == "plan_change"
    assert placed["invoice"]["amount"]["amount"] == 2_990_000
    assert placed["quote"]["covers"]["end"].startswith("2027-12-21T03:00:00")
    await pay(api, placed)
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["period"]) == ("growth", "yearly")
    assert sub["current_period"]["end"].startswith("2027-12-21T03:00:00")


@pytest.mark.parametrize("created, changed, days, expected", [
    (wib(2027, 2, 1), wib(2027, 2, 15, 9), "14 of 28 days", 150_000),
    (wib(2028, 2, 1), wib(2028, 2, 15, 9), "15 of 29 days", 155_172),
    (wib(2026, 4, 1), wib(2026, 4, 21, 9), "10 of 30 days", 100_000),
    (wib(2026, 1, 1), wib(2026, 1, 22, 9), "10 of 31 days", 96_774),
])
async def test_policy_table_makes_upgrades_immediate_and_prorated_to_the_day(
        api, created, changed, days, expected):
    await set_policy(api, IMMEDIATE_UPGRADES)
    api.clock.set(created)
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    api.clock.set(changed)
    placed = await change(api, ws, key, "pro")
    assert placed["quote"]["timing"] == "immediate"
    assert placed["invoice"]["type"] == "plan_change"
    assert placed["invoice"]["amount"]["amount"] == expected
    assert days in placed["invoice"]["package"]
    assert (await subscription(api, ws, key))["plan"] == "growth"   # only once paid
    await pay(api, placed)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["scheduled_change"]) == ("pro", None)
    assert await granted(api, ws, key) == 60_000     # the grant difference, once
    await pay(api, placed)                            # a second press changes nothing
    assert await granted(api, ws, key) == 60_000
    await assert_reconciled(api)


async def test_cancel_keeps_the_paid_period_and_switches_to_free_at_its_end(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    resp = await post(api, ws, key, "cancel")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["invoice"] is None
    assert body["subscription"]["scheduled_change"]["kind"] == "cancel"
    assert body["subscription"]["plan"] == "growth"
    await run_due(api, wib(2026, 12, 18, 10))        # no renewal invoice for a cancelled plan
    assert await invoices(api, ws, key) == []
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["period"]) == ("free", "monthly")
    assert await granted(api, ws, key) == 15_000


async def test_cancel_is_undone_by_deleting_the_scheduled_change(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await post(api, ws, key, "cancel")
    resp = await api.client.delete(f"/v1/workspaces/{ws}/subscription/scheduled-change",
                                   headers=api.auth(key))
    assert resp.status == 200
    assert (await resp.json())["scheduled_change"] is None
    await run_due(api, wib(2026, 12, 18, 10))
    [renewal] = await invoices(api, ws, key)
    assert (renewal["type"], renewal["amount"]["amount"]) == ("renewal", 299_000)


async def test_second_change_replaces_the_scheduled_one_and_cancels_its_invoice(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    first = await change(api, ws, key, "pro")
    second = await change(api, ws, key, "growth", "yearly")
    sub = second["subscription"]
    assert (sub["scheduled_change"]["plan"], sub["scheduled_change"]["period"]) == (
        "growth", "yearly")
    status = {i["code"]: i["status"] for i in await invoices(api, ws, key)}
    assert status == {first["invoice"]["code"]: "cancelled",
                      second["invoice"]["code"]: "pending"}
    resp = await press_pay(api, first["payment"]["id"])   # too late: cancelled
    assert (await subscription(api, ws, key))["scheduled_change"]["plan"] == "growth"
    resp = await api.client.delete(f"/v1/workspaces/{ws}/subscription/scheduled-change",
                                   headers=api.auth(key))
    assert resp.status == 200
    status = {i["code"]: i["status"] for i in await invoices(api, ws, key)}
    assert status[second["invoice"]["code"]] == "cancelled"
    resp = await api.client.delete(f"/v1/workspaces/{ws}/subscription/scheduled-change",
                                   headers=api.auth(key))
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "no_scheduled_change"


async def test_paid_scheduled_change_cannot_be_cancelled_or_replaced(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await pay(api, await change(api, ws, key, "pro"))
    resp = await api.client.delete(f"/v1/workspaces/{ws}/subscription/scheduled-change",
                                   headers=api.auth(key))
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "scheduled_change_paid")
    resp = await post(api, ws, key, "change", {"plan": "growth", "period": "yearly"})
    assert (resp.status, (await resp.json())["error"]["code"]) == (
        409, "next_period_already_paid")


async def test_change_with_the_same_idempotency_key_returns_the_first_response(api):
    ws, key = await api.create_workspace([PHONE_A])
    headers = {"Idempotency-Key": "chg-1"}
    first = await post(api, ws, key, "change", {"plan": "growth", "period": "monthly"}, headers)
    again = await post(api, ws, key, "change", {"plan": "growth", "period": "monthly"}, headers)
    assert (first.status, again.status) == (200, 200)
    assert (await first.json()) == (await again.json())
    other = await post(api, ws, key, "change", {"plan": "pro", "period": "monthly"}, headers)
    assert (other.status, (await other.json())["error"]["code"]) == (
        422, "idempotency_key_reused")
    assert len(await invoices(api, ws, key)) == 1


async def test_start_is_the_creation_time():
    assert START == wib(2026, 11, 21, 10)
