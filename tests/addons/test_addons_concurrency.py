"""Concurrent changes of one held add-on (issue 9 item 4): a decrease or a stop is one
conditional write on the holding it was computed from, and its credit's ledger key is the
transition's, so however many requests race, the wallet is credited at most what one change
earns; the losers answer 409 `holding_changed` (nothing credited) or replay the winner."""
import asyncio

import pytest

from tests.helpers import claim_paid
from service.payments.orders import settle_invoice
from tests.addon_helpers import (addon_body, buy, buy_and_pay, create_addon, held, set_quantity,
                                 stop)
from tests.helpers import account_credit, app_services, assert_reconciled, press_pay
from tests.subscription_helpers import IMMEDIATE_UPGRADES, post, set_policy, subscription, wib

MID = wib(2026, 12, 6, 10)          # 15 of the 30 days of Nov 21 → Dec 21 left
SEAT = addon_body("seat", periods={"monthly": {"currency": "IDR", "amount": 100_000}})
DECREASE_6_TO_1 = 250_000           # 5 units × Rp100.000 × 1/2
REST_OF_6 = 300_000                 # 6 units × Rp100.000 × 1/2
GRANT = 30_000                      # Growth's conversation grant


async def six_seats(api, phone: str = "6281100000001", addon: dict | None = None):
    ws, key = await api.create_workspace([phone], plan="growth")
    addon = addon or await create_addon(api, SEAT)
    await buy_and_pay(api, ws, key, addon["id"], 6)
    api.clock.set(MID)
    return ws, key, addon


async def addon_credits(api, ws: str, key: str) -> list[int]:
    """The refunds credited, newest first: account credit (issue 11), not the wallet."""
    return (await account_credit(api, ws, key))[1][::-1]


async def answers(responses) -> list[tuple[int, dict]]:
    return [(r.status, await r.json()) for r in responses]


def assert_losers_credit_nothing(results: list[tuple[int, dict]]) -> None:
    for status, body in results:
        assert status in (200, 409), body
        if status == 409:
            assert body["error"]["code"] == "holding_changed"
            assert body["error"]["details"]["retryable"] is True


@pytest.mark.parametrize("n", [2, 5, 30])
async def test_concurrent_decreases_credit_exactly_one_decrease(api, n):
    ws, key, seat = await six_seats(api)
    results = await answers(await asyncio.gather(
        *(set_quantity(api, ws, key, seat["id"], 1) for _ in range(n))))
    assert_losers_credit_nothing(results)
    assert await addon_credits(api, ws, key) == [DECREASE_6_TO_1]
    assert (await api.amounts(ws, key))["conversation"] == (GRANT, 0, 0)
    assert (await account_credit(api, ws, key))[0] == DECREASE_6_TO_1
    credited = [b["credit"]["amount"] for s, b in results if s == 200 and b["credit"]]
    assert credited and set(credited) == {DECREASE_6_TO_1}   # the winner, or its replay
    assert all(b["quantity"] == 1 for s, b in results if s == 200)
    assert (await held(api, ws, key))[seat["id"]]["quantity"] == 1
    await assert_reconciled(api)


async def test_concurrent_stops_now_credit_the_rest_once(api):
    ws, key, seat = await six_seats(api)
    results = await answers(await asyncio.gather(
        *(stop(api, ws, key, seat["id"], "now") for _ in range(5))))
    for status, body in results:
        assert status in (200, 404, 409), body
    assert await addon_credits(api, ws, key) == [REST_OF_6]
    assert {b["credit"]["amount"] for s, b in results if s == 200} == {REST_OF_6}
    assert await held(api, ws, key) == {}
    await assert_reconciled(api)


async def test_a_decrease_racing_a_stop_now_credits_one_sequence(api):
    seat = None
    for round_, phone in enumerate(("6281100000011", "6281100000012", "6281100000013")):
        api.clock.set(wib(2026, 11, 21, 10))
        ws, key, seat = await six_seats(api, phone, seat)
        decrease, stopped = await answers(await asyncio.gather(
            set_quantity(api, ws, key, seat["id"], 1), stop(api, ws, key, seat["id"], "now")))
        assert decrease[0] in (200, 404, 409) and stopped[0] in (200, 409), (decrease, stopped)
        credits = await addon_credits(api, ws, key)
        assert sum(credits) <= REST_OF_6                    # never more than the holding's rest
        answered = [b["credit"]["amount"] for s, b in (decrease, stopped)
                    if s == 200 and b["credit"]]
        assert sorted(credits) == sorted(answered), (round_, decrease, stopped)
        assert sum(credits) in (DECREASE_6_TO_1, REST_OF_6)  # 6 → 1 alone, 6 → 0, 6 → 1 → 0
        assert (await account_credit(api, ws, key))[0] == sum(credits)
    await assert_reconciled(api)


async def test_an_increase_paid_before_a_decrease_is_not_applied_after_it(api):
    """The increase's payment is claimed (invoice paid), the decrease runs before the
    fulfilment does (a slow or crashed callback, finished by the sweep): 6 → 8 was paid on 6
    units, the holding has 1, so 6 → 8 must not turn 1 into 8."""
    ws, key, seat = await six_seats(api)
    up = await (await set_quantity(api, ws, key, seat["id"], 8)).json()
    svc = app_services(api)
    pending = await svc.db.invoices.find_one({"code": up["invoice"]["code"]})
    invoice = await claim_paid(svc.db, pending["_id"], up["payment"]["id"], MID, MID)
    down = await set_quantity(api, ws, key, seat["id"], 1)
    assert (await down.json())["credit"]["amount"] == DECREASE_6_TO_1
    await settle_invoice(svc, invoice, api.clock.now())
    assert (await held(api, ws, key))[seat["id"]]["quantity"] == 1
    order = await svc.db.addon_orders.find_one({"invoice_code": up["invoice"]["code"]})
    assert (order["status"], order["outcome"]) == ("paid", "not_applied")
    await assert_reconciled(api)


async def test_concurrent_purchases_of_one_addon_apply_one(api):
    ws, key = await api.create_workspace(["6281100000021"], plan="growth")
    seat = await create_addon(api, SEAT)
    placed = await answers(await asyncio.gather(*(buy(api, ws, key, seat["id"], 2)
                                                  for _ in range(5))))
    payments = {b["payment"]["id"] for s, b in placed if s == 201}
    for payment in payments:                                 # pay every invoice still open
        await press_pay(api, payment)
    assert (await held(api, ws, key))[seat["id"]]["quantity"] == 2
    outcomes = [o.get("outcome") async for o in app_services(api).db.addon_orders.find(
        {"workspace_id": ws, "status": "paid"})]
    assert outcomes.count("applied") == 1
    await assert_reconciled(api)


async def test_an_immediate_upgrade_paid_after_a_decrease_does_not_apply_its_stale_line(api):
    await set_policy(api, IMMEDIATE_UPGRADES)
    ws, key, seat = await six_seats(api)
    placed = await (await post(api, ws, key, "change", {
        "plan": "pro", "period": "monthly",
        "addons": [{"addon_id": seat["id"], "quantity": 8}]})).json()
    assert placed["quote"]["timing"] == "immediate"         # 6 → 8 invoiced on 6 units
    down = await set_quantity(api, ws, key, seat["id"], 1)
    assert (await down.json())["credit"]["amount"] == DECREASE_6_TO_1
    await press_pay(api, placed["payment"]["id"])
    sub = await subscription(api, ws, key)
    assert sub["plan"] == "pro"
    assert {a["addon_id"]: a["quantity"] for a in sub["addons"]} == {seat["id"]: 1}
    await assert_reconciled(api)


async def test_a_credit_pack_increase_that_is_not_applied_credits_nothing(api):
    """Same race with a recurring conversation pack: the increase is not applied (logged for a
    refund), so its units are not credited either."""
    pack = addon_body("conv-monthly", type="conversation_credit", consumption=10_000,
                      periods={"monthly": {"currency": "IDR", "amount": 10_000}})
    ws, key = await api.create_workspace(["6281100000041"], plan="growth")
    pack = await create_addon(api, pack)
    await buy_and_pay(api, ws, key, pack["id"], 2)              # + Rp20.000 of credit
    api.clock.set(MID)
    up = await (await set_quantity(api, ws, key, pack["id"], 4)).json()
    svc = app_services(api)
    pending = await svc.db.invoices.find_one({"code": up["invoice"]["code"]})
    invoice = await claim_paid(svc.db, pending["_id"], up["payment"]["id"], MID, MID)
    down = await (await set_quantity(api, ws, key, pack["id"], 1)).json()
    assert down["credit"]["amount"] == 5_000                    # 1 unit × Rp10.000 × 1/2
    await settle_invoice(svc, invoice, api.clock.now())
    assert (await held(api, ws, key))[pack["id"]]["quantity"] == 1
    assert (await api.amounts(ws, key))["conversation"] == (GRANT, 20_000, 0)
    assert (await account_credit(api, ws, key))[0] == 5_000
    await assert_reconciled(api)


async def test_an_increase_paid_racing_a_decrease_gives_one_valid_sequence(api):
    seat = None
    for phone in ("6281100000071", "6281100000072", "6281100000073"):
        api.clock.set(wib(2026, 11, 21, 10))
        ws, key, seat = await six_seats(api, phone, seat)

        async def up_and_pay():
            up = await (await set_quantity(api, ws, key, seat["id"], 8)).json()
            await press_pay(api, up["payment"]["id"])
        _, down = await asyncio.gather(up_and_pay(), set_quantity(api, ws, key, seat["id"], 1))
        status = down.status
        quantity = (await held(api, ws, key))[seat["id"]]["quantity"]
        increased = await app_services(api).db.addon_orders.find_one(
            {"workspace_id": ws, "action": "change", "outcome": "applied"})
        credits = await addon_credits(api, ws, key)
        if status == 409:                                   # 6 → 8 first, 6 → 1 refused
            assert (increased is not None, quantity, credits) == (True, 8, [])
        elif increased:                                     # 6 → 8 paid, then 8 → 1
            assert (quantity, credits) == (1, [350_000])
        else:                                               # 6 → 1, the 6 → 8 not applied
            assert (quantity, credits) == (1, [DECREASE_6_TO_1])
    await assert_reconciled(api)


async def test_an_upgrade_line_that_is_not_applied_credits_no_pack_units(api):
    await set_policy(api, IMMEDIATE_UPGRADES)
    ws, key = await api.create_workspace(["6281100000081"], plan="growth")
    pack = await create_addon(api, addon_body(
        "conv-monthly", type="conversation_credit", consumption=10_000,
        periods={"monthly": {"currency": "IDR", "amount": 10_000}}))
    await buy_and_pay(api, ws, key, pack["id"], 2)              # + Rp20.000 of credit
    api.clock.set(MID)
    placed = await (await post(api, ws, key, "change", {
        "plan": "pro", "period": "monthly",
        "addons": [{"addon_id": pack["id"], "quantity": 4}]})).json()
    await set_quantity(api, ws, key, pack["id"], 1)             # + Rp5.000, before the payment
    await press_pay(api, placed["payment"]["id"])
    assert (await subscription(api, ws, key))["plan"] == "pro"
    assert (await held(api, ws, key))[pack["id"]]["quantity"] == 1
    granted = 30_000 + 30_000                                   # Growth, then Pro's difference
    assert (await api.amounts(ws, key))["conversation"] == (granted, 20_000, 0)
    assert (await account_credit(api, ws, key))[0] == 5_000
    await assert_reconciled(api)
