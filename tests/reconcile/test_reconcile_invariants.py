"""Reconcile catches minted money (issue 18): for each invariant, the violating state is written
straight into the store, as a bug would, with the wallet changed to match its ledger, so the
old check (balance == sum of ledger) passes; reconcile must report it with its objects, answer
`ok: false`, and the billing pass must count it and log it at error level."""
import logging

from billing import ledger_keys
from service.subscriptions.billing_run import run_pass
from tests.addon_helpers import WA_CONV, buy_and_pay, create_addon
from tests.addons.test_addons_concurrency import six_seats
from tests.helpers import (PHONE_A, app_services, press_pay, sample, status, status_payload,
                           topup)
from tests.reconcile_helpers import forge, rules, violations

SEAT_PAID = 600_000          # 6 seats × Rp100.000, bought at the period start
DECREASE_6_TO_1 = 250_000    # what one decrease 6 → 1 at mid-period earns


async def _replace(collection, _id: str, **changes) -> None:
    doc = await collection.find_one({"_id": _id})
    await collection.replace_one({"_id": _id}, {**doc, **changes})


async def _invoice_id(api, placed: dict) -> str:
    doc = await app_services(api).db.invoices.find_one({"code": placed["invoice"]["code"]})
    return doc["_id"]


async def test_a_clean_workspace_reconciles(api):
    await api.create_workspace([PHONE_A])
    body = await api.reconcile()
    assert body["ok"] is True and body["violations"] == []


async def test_a_top_up_credited_before_it_was_paid_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key, amount=50_000)             # pending, never paid
    topup_id = placed["topup"]["id"]
    await forge(api, ws, [(ledger_keys.topup(topup_id), "topup", "conversation", 50_000,
                           {"topup_id": topup_id}),
                          ("topup:tp_nowhere", "topup", "conversation", 70_000, {})])
    found = await violations(api)
    assert rules(found) == ["credit_not_matching_cause", "credit_without_cause"]
    unpaid = next(v for v in found if v["rule"] == "credit_not_matching_cause")
    assert unpaid["ledger_keys"] == [f"topup:{topup_id}"] and unpaid["workspace_id"] == ws
    assert unpaid["order_id"] == topup_id and unpaid["invoice_id"]


async def test_a_credit_pack_credited_for_a_line_it_does_not_have_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    pack = await create_addon(api, WA_CONV)
    placed = await buy_and_pay(api, ws, key, pack["id"], 2)       # Rp60.000 credited, rightly
    order = await app_services(api).db.addon_orders.find_one({"workspace_id": ws})
    assert (await api.reconcile())["ok"] is True
    await forge(api, ws, [(ledger_keys.addon_credit(order["_id"], "ad_other"), "addon_credit",
                           "conversation", 60_000, {"order_id": order["_id"]})])
    found = await violations(api)
    assert rules(found) == ["credit_not_matching_cause"]
    assert found[0]["order_id"] == order["_id"]
    assert found[0]["invoice_id"] == await _invoice_id(api, placed)


async def test_an_upgrade_grant_without_its_upgrade_is_reported(api):
    ws, _ = await api.create_workspace([PHONE_A])
    start = (await app_services(api).db.subscriptions.find_one({"_id": ws}))[
        "current_period_start"]
    key = ledger_keys.upgrade_grant(ws, start, "pro")
    await forge(api, ws, [(key, "grant", "conversation", 45_000, {"plan": "pro"})])
    found = await violations(api)
    assert rules(found) == ["credit_without_cause"] and found[0]["ledger_keys"] == [key]


async def test_a_replay_of_the_double_credit_race_is_reported(api):
    """The race of issue 9 item 4 as it was recorded: 30 concurrent decreases 6 → 1 of one
    holding, each credited under its own request's key (`addon_refund:<ws>:<addon>:<seed>`);
    16 of them credited Rp250.000 each, Rp4.000.000 for a holding paid Rp600.000. The ledger
    and the balance agree about it; reconcile must not."""
    ws, key, seat = await six_seats(api)
    assert (await api.reconcile())["ok"] is True
    race = [(f"addon_refund:{ws}:{seat['id']}:{i:032x}", "addon_credit", "conversation",
             DECREASE_6_TO_1, {"addon_id": seat["id"], "reason": "addon_decreased"})
            for i in range(16)]
    await forge(api, ws, race)
    assert (await api.amounts(ws, key))["conversation"][1] == 16 * DECREASE_6_TO_1
    found = await violations(api)
    assert rules(found) == ["credit_without_cause"] * 16 + ["refund_above_paid"]
    above = next(v for v in found if v["rule"] == "refund_above_paid")
    assert above["addon_id"] == seat["id"] and len(above["ledger_keys"]) == 16
    assert above["details"]["credited"] == 4_000_000
    assert above["details"]["paid"] == SEAT_PAID


async def test_two_credited_changes_from_one_holding_revision_are_reported(api):
    """The same race under today's keys: two transitions computed from one revision."""
    ws, key, seat = await six_seats(api)
    rev = (await app_services(api).db.subscriptions.find_one({"_id": ws}))["addons"][
        seat["id"]]["rev"]
    keys = [ledger_keys.addon_refund(ws, seat["id"], 6, to, rev) for to in (1, 2)]
    await forge(api, ws, [(k, "addon_credit", "conversation", DECREASE_6_TO_1,
                           {"addon_id": seat["id"]}) for k in keys])
    found = await violations(api)
    assert rules(found) == ["credited_twice"]
    assert sorted(found[0]["ledger_keys"]) == sorted(keys)


async def test_a_holding_below_zero_is_reported(api):
    ws, key, seat = await six_seats(api)
    subs = app_services(api).db.subscriptions
    doc = await subs.find_one({"_id": ws})
    addons = {seat["id"]: {**doc["addons"][seat["id"]], "quantity": -2}}
    await _replace(subs, ws, addons=addons)
    found = await violations(api)
    assert rules(found) == ["negative_quantity"] and found[0]["addon_id"] == seat["id"]


async def test_a_paid_invoice_whose_payment_never_succeeded_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key)
    invoice_id = await _invoice_id(api, placed)
    await _replace(app_services(api).db.invoices, invoice_id, status="paid")
    found = await violations(api)
    assert rules(found) == ["paid_invoice_without_payment"]
    assert (found[0]["invoice_id"], found[0]["payment_id"]) == (invoice_id,
                                                                placed["payment"]["id"])


async def test_one_payment_paying_two_invoices_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A])
    first, second = await topup(api, ws, key), await topup(api, ws, key, amount=60_000)
    for placed in (first, second):
        assert (await press_pay(api, placed["payment"]["id"])).status == 200
    assert (await api.reconcile())["ok"] is True
    invoices = [await _invoice_id(api, placed) for placed in (first, second)]
    await _replace(app_services(api).db.invoices, invoices[1], payment_id=first["payment"]["id"])
    found = await violations(api)
    assert rules(found) == ["paid_invoice_without_payment", "payment_applied_twice",
                            "payment_not_applied"]
    twice = next(v for v in found if v["rule"] == "payment_applied_twice")
    assert twice["payment_id"] == first["payment"]["id"]
    assert sorted(twice["details"]["invoices"]) == sorted(invoices)


async def test_a_fulfilled_top_up_whose_invoice_is_not_paid_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key)
    await _replace(app_services(api).db.topups, placed["topup"]["id"], status="paid")
    found = await violations(api)
    assert rules(found) == ["fulfilled_order_without_paid_invoice"]
    assert found[0]["order_id"] == placed["topup"]["id"]


async def test_a_charge_with_another_wamid_or_price_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A])
    delivered = status_payload(PHONE_A, [status("wamid.real", "delivered", "marketing")])
    assert (await api.webhook(delivered)).status == 200           # a real charge: Rp650
    await api.webhook(sample("05_status_delivered_marketing.json"))
    assert (await api.reconcile())["ok"] is True
    await forge(api, ws, [
        ("charge:wamid.a", "charge", "conversation", -30, {"wamid": "wamid.b",
                                                           "category": "service"}),
        ("charge:wamid.c", "charge", "conversation", -1, {"wamid": "wamid.c",
                                                          "category": "service"})])
    found = await violations(api)
    assert rules(found) == ["charge_mismatch", "charge_mismatch"]
    assert sorted(k for v in found for k in v["ledger_keys"]) == ["charge:wamid.a",
                                                                  "charge:wamid.c"]


async def test_an_expiry_removing_more_than_was_granted_is_reported(api):
    ws, key = await api.create_workspace([PHONE_A])               # Free: Rp15.000 granted
    paid = await topup(api, ws, key, amount=50_000)
    assert (await press_pay(api, paid["payment"]["id"])).status == 200
    expiry = ledger_keys.expiry(ws, api.clock.now())
    await forge(api, ws, [(expiry, "expiry", "conversation", -40_000, {}, "purchased")])
    found = await violations(api)
    assert rules(found) == ["expiry_above_grant"] and found[0]["ledger_keys"] == [expiry]


async def test_the_billing_pass_counts_and_logs_a_violation(api, caplog):
    ws, key = await api.create_workspace([PHONE_A])
    await forge(api, ws, [("topup:tp_nowhere", "topup", "conversation", 70_000, {})])
    with caplog.at_level(logging.ERROR, logger="saldo.reconcile"):
        report = await run_pass(app_services(api), api.clock.now())
    assert report["not_reconciled"] == 1
    logged = [r for r in caplog.records if r.name == "saldo.reconcile"]
    assert [r.levelno for r in logged] == [logging.ERROR]
    assert logged[0].fields["ledger_keys"] == ["topup:tp_nowhere"]
    assert logged[0].fields["workspace_id"] == ws
