"""Buying add-ons over HTTP: the invoice (prorated for recurring add-ons on 28/30/31-day months
and longer periods; full price once for one-time ones; each pricing scheme at its bracket
edges), the rules, applied only when paid, consumption credit exactly once."""
import asyncio
from datetime import datetime, timezone

import pytest

from service.mongo.events import events_of
from tests.addon_helpers import (EXTRA_USER, WA_CONV, addon_body, buy, buy_and_pay, bought,
                                 create_addon, held)
from tests.helpers import (PHONE_A, app_services, assert_reconciled, payment_callback,
                           post_payment_callback, press_pay)
from tests.subscription_helpers import invoices, wib

BRACKETS = [{"from": 1, "to": 10, "amount": 1500}, {"from": 11, "to": 20, "amount": 1200},
            {"from": 21, "to": None, "amount": 1000}]


async def test_a_recurring_addon_is_prorated_to_the_period_end_and_applied_when_paid(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")   # Nov 21 → Dec 21, 30 d
    user = await create_addon(api, EXTRA_USER)
    api.clock.set(wib(2026, 12, 1, 10))                                # 20 of 30 days left
    placed = await bought(api, ws, key, user["id"], 2)
    invoice = placed["invoice"]
    assert (invoice["type"], invoice["status"]) == ("addon", "pending")
    assert invoice["amount"] == {"amount": 65_333, "currency": "IDR",   # 98 000 × 2/3
                                 "formatted": "Rp65.333"}
    assert "Additional User × 2" in invoice["lines"][0]["description"]
    assert placed["quantity"] == 0 and await held(api, ws, key) == {}  # not before it is paid
    await press_pay(api, placed["payment"]["id"])
    holding = (await held(api, ws, key))[user["id"]]
    assert (holding["quantity"], holding["billing"], holding["stops_at_period_end"]) == (
        2, "recurring", False)
    events = [e for e in await events_of(app_services(api).db, ws)
              if e["type"].startswith("subscription.addon")]
    assert [(e["type"], e["data"]["quantity"]) for e in events] == [
        ("subscription.addon_added", 2)]
    await assert_reconciled(api)


@pytest.mark.parametrize("created, bought_at, expected", [
    (wib(2027, 2, 1, 10), wib(2027, 2, 15, 10), 24_500),     # 28 days: 14 left → half
    (wib(2026, 11, 21, 10), wib(2026, 12, 6, 10), 24_500),   # 30 days: 15 left → half
    (wib(2026, 12, 21, 10), wib(2027, 1, 1, 10), 31_613),    # 31 days: 20 left → 31 612.9
])
async def test_proration_on_28_30_and_31_day_months(api, created, bought_at, expected):
    api.clock.set(created)
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    api.clock.set(bought_at)
    placed = await bought(api, ws, key, user["id"])
    assert placed["invoice"]["amount"]["amount"] == expected


async def test_proration_on_a_yearly_subscription(api):
    ws, key = await api.create_workspace([PHONE_A])
    db = app_services(api).db
    sub = await db.subscriptions.find_one({"_id": ws})
    start, end = datetime(2027, 1, 1, 3, tzinfo=timezone.utc), datetime(2028, 1, 1, 3,
                                                                         tzinfo=timezone.utc)
    await db.subscriptions.replace_one({"_id": ws}, {**sub, "period": "yearly", "anchor": start,
                                                     "current_period_start": start,
                                                     "current_period_end": end})
    user = await create_addon(api, EXTRA_USER)                 # Rp490.000 a year
    api.clock.set(wib(2027, 7, 1, 10))                           # 184 of 365 days left
    placed = await bought(api, ws, key, user["id"])
    assert placed["invoice"]["amount"]["amount"] == 247_014      # 490 000 × 184/365 = 247 013.7


@pytest.mark.parametrize("scheme, cases", [
    ("volume", [(10, 15_000), (11, 13_200), (20, 24_000), (21, 21_000)]),
    ("tier", [(10, 15_000), (11, 16_200), (20, 27_000), (21, 28_000)]),
    ("package", [(1, 1500), (10, 1500), (11, 1200), (21, 1000)]),
])
async def test_each_pricing_scheme_at_its_bracket_edges_on_the_invoice(api, scheme, cases):
    ws, key = await api.create_workspace([PHONE_A])
    pack = await create_addon(api, addon_body(
        f"pack-{scheme}", billing="one_time", pricing_scheme=scheme, max_quantity=100,
        periods={"monthly": {"currency": "USD", "brackets": BRACKETS}}))
    for quantity, cents in cases:
        invoice = (await bought(api, ws, key, pack["id"], quantity))["invoice"]
        assert invoice["amount"]["amount"] == cents, (scheme, quantity)
        assert invoice["amount"]["currency"] == "USD"


async def test_purchase_rules(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    capped = await create_addon(api, addon_body("capped", max_quantity=3))
    single = await create_addon(api, addon_body("single", allow_multiple=False,
                                                  max_quantity=1))
    base = await create_addon(api, addon_body("base"))
    needs = await create_addon(api, addon_body("needs-base", requires=[base["id"]]))
    rival = await create_addon(api, addon_body("rival", incompatible_with=[base["id"]]))
    pro_only = await create_addon(api, addon_body("pro-only", applicable_plans=["pro"]))
    yearly = await create_addon(api, addon_body("yearly", periods={"yearly": {
        "currency": "IDR", "amount": 1}}))
    retired = await create_addon(api, addon_body("retired", status="inactive"))
    cases = [(capped, 4, 422, "quantity_above_maximum"),
             (single, 2, 422, "addon_multiple_not_allowed"),
             (needs, 1, 422, "addon_requires"),
             (pro_only, 1, 422, "addon_not_applicable"),
             (yearly, 1, 422, "addon_period_not_available"),
             (retired, 1, 422, "addon_inactive")]
    for addon, quantity, status, code in cases:
        resp = await buy(api, ws, key, addon["id"], quantity)
        assert (resp.status, (await resp.json())["error"]["code"]) == (status, code)
    await buy_and_pay(api, ws, key, base["id"])
    resp = await buy(api, ws, key, rival["id"])
    assert (await resp.json())["error"]["code"] == "addon_incompatible"
    assert (await buy(api, ws, key, needs["id"])).status == 201
    resp = await buy(api, ws, key, base["id"])
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "addon_already_added")
    assert (await buy(api, ws, key, "ad_doesnotexist")).status == 404


async def test_a_consumption_addon_credits_the_wallet_once_despite_duplicate_callbacks(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    conv = await create_addon(api, WA_CONV)
    placed = await bought(api, ws, key, conv["id"], 2)
    assert placed["invoice"]["amount"]["amount"] == 60_000
    payment_id = placed["payment"]["id"]
    raw = payment_callback(payment_id, amount=60_000)
    results = await asyncio.gather(press_pay(api, payment_id),
                                   *(post_payment_callback(api, raw) for _ in range(3)),
                                   post_payment_callback(api, payment_callback(
                                       payment_id, amount=60_000, event_id="evt_again")))
    assert all(r.status == 200 for r in results)
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 60_000, 0)
    await post_payment_callback(api, raw)
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 60_000, 0)
    paid = await invoices(api, ws, key, type="addon")
    assert [i["status"] for i in paid] == ["paid"]
    await assert_reconciled(api)


async def test_a_usd_priced_consumption_addon_credits_rupiah(api):
    ws, key = await api.create_workspace([PHONE_A])
    pack = await create_addon(api, addon_body(
        "broadcast-usd", type="broadcast_credit", consumption=100_000, billing="one_time",
        periods={"monthly": {"currency": "USD", "amount": 650}}))
    placed = await buy_and_pay(api, ws, key, pack["id"], 3)
    assert placed["invoice"]["amount"] == {"amount": 1950, "currency": "USD",
                                           "formatted": "US$19,50"}
    assert (await api.amounts(ws, key))["broadcast"] == (0, 300_000, 0)
    await assert_reconciled(api)


async def test_the_same_idempotency_key_buys_once(api):
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    first = await buy(api, ws, key, user["id"], 1, {"Idempotency-Key": "buy-1"})
    again = await buy(api, ws, key, user["id"], 1, {"Idempotency-Key": "buy-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await first.json())["invoice"]["code"] == (await again.json())["invoice"]["code"]
    other = await buy(api, ws, key, user["id"], 2, {"Idempotency-Key": "buy-1"})
    assert (await other.json())["error"]["code"] == "idempotency_key_reused"
    assert len(await invoices(api, ws, key, type="addon")) == 1
