"""Add-on fulfilment is idempotent and crash-safe: re-driven fulfilment applies nothing twice,
a credit a crash left in the subscription is posted by the billing run once, a purchase
paid after its period ended is not applied, and an add-on renewal whose invoice could not be
placed is re-driven by the next pass (issue 9 item 7)."""
import asyncio
from dataclasses import replace

import pytest

from billing import ledger_keys
from service.addons import orders as addon_orders
from service.addons import renewals as addon_renewals
from service.invoices import invoices as invoice_repo
from service.invoices.records import Invoice
from service.payments.orders import settle_invoice
from service.subscriptions.billing_run import run_pass
from service.workspaces.lookup import workspace_by_id
from tests.addon_helpers import (EXTRA_USER, WA_CONV, addon_body, bought, buy_and_pay,
                                 create_addon, held)
from tests.helpers import account_credit, PHONE_A, app_services, assert_reconciled, press_pay
from tests.subscription_helpers import invoices, run_due, wib


async def pay_invoice(api, code: str) -> None:
    payment = await app_services(api).db.payments.find_one({"invoice_code": code})
    assert (await press_pay(api, payment["_id"])).status == 200


async def paid_invoice(api, code: str) -> Invoice:
    return invoice_repo.record(await app_services(api).db.invoices.find_one({"code": code}))


async def test_fulfilling_a_paid_addon_invoice_again_changes_nothing(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    pack = await create_addon(api, addon_body("users-once", billing="one_time"))
    conv = await create_addon(api, WA_CONV)
    first = await buy_and_pay(api, ws, key, pack["id"], 2)
    second = await buy_and_pay(api, ws, key, conv["id"], 1)
    svc = app_services(api)
    for placed in (first, second):
        invoice = await paid_invoice(api, placed["invoice"]["code"])
        await asyncio.gather(*(svc.order_kinds["addon"].fulfil(svc, invoice, svc.clock.now())
                               for _ in range(3)))
        await settle_invoice(svc, replace(invoice, settled=False), api.clock.now())
    assert (await held(api, ws, key))[pack["id"]]["quantity"] == 2
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 30_000, 0)
    await assert_reconciled(api)


async def test_a_credit_left_by_a_crash_is_posted_once_by_the_billing_run(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])          # Rp49.000 paid for the period
    db = app_services(api).db
    sub = await db.subscriptions.find_one({"_id": ws})
    rev = sub["addons"][user["id"]]["rev"]               # a stop 1 → 0 of that holding
    owed = {"key": ledger_keys.addon_refund(ws, user["id"], 1, 0, rev),
            "balance": "conversation", "amount": 12_345, "meta": {"reason": "addon_stopped"}}
    await db.subscriptions.replace_one({"_id": ws}, {**sub, "addon_credits": [owed],
                                                     "version": (sub.get("version") or 0) + 1})
    await run_due(api, wib(2026, 11, 22))
    await run_due(api, wib(2026, 11, 23))
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    assert await account_credit(api, ws, key) == (12_345, [12_345])    # account credit, once
    assert (await db.subscriptions.find_one({"_id": ws})).get("addon_credits") == []
    await assert_reconciled(api)


async def test_a_recurring_purchase_paid_after_its_period_ended_is_not_applied(api):
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    api.clock.set(wib(2026, 12, 21, 9))                  # the last hour of the period
    placed = await bought(api, ws, key, user["id"])
    assert placed["invoice"]["amount"]["amount"] == 68   # 1 of 720 hours: 49 000/720 = 68.06
    await run_due(api, wib(2026, 12, 21, 10))            # the period rolls over (Free)
    await press_pay(api, placed["payment"]["id"])
    assert await held(api, ws, key) == {}
    order = await app_services(api).db.addon_orders.find_one(
        {"invoice_code": placed["invoice"]["code"]})
    assert (order["status"], order["outcome"]) == ("paid", "not_applied")


LEAD = wib(2026, 12, 18, 10)


async def _fail_placing(api, monkeypatch, how: str) -> None:
    """The next add-on invoice cannot be placed: no payment provider, or a crash."""
    svc = app_services(api)
    if how == "provider_missing":
        monkeypatch.setattr(svc, "settings", replace(svc.settings, payment_provider="none"))
        return

    async def crash(*args, **kwargs):
        raise RuntimeError("killed while placing the invoice")
    monkeypatch.setattr(addon_orders, "place_order", crash)


@pytest.mark.parametrize("how", ["provider_missing", "crash"])
async def test_an_addon_renewal_whose_invoice_was_not_placed_is_invoiced_by_the_next_pass(
        api, monkeypatch, how):
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])
    with monkeypatch.context() as failing:
        await _fail_placing(api, failing, how)
        assert (await run_due(api, LEAD))["errors"] == 1
    db = app_services(api).db
    [order] = [o async for o in db.addon_orders.find({"action": "renewal"})]
    assert (order["status"], order["invoice_id"]) == ("new", None)
    await run_due(api, wib(2026, 12, 18, 11))              # the next pass re-drives it
    [own] = await invoices(api, ws, key, status="pending")
    assert (own["type"], own["amount"]["amount"]) == ("addon", 49_000)
    assert [o["_id"] async for o in db.addon_orders.find({"action": "renewal"})] == [
        order["_id"]]
    await pay_invoice(api, own["code"])
    await run_due(api, wib(2026, 12, 21, 10))
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 1
    await assert_reconciled(api)


async def test_concurrent_redrives_of_a_stuck_addon_renewal_place_one_invoice(api, monkeypatch):
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])
    with monkeypatch.context() as failing:
        await _fail_placing(api, failing, "crash")
        await run_due(api, LEAD)
    svc = app_services(api)
    workspace = await workspace_by_id(svc, ws)
    start = wib(2026, 12, 21, 10)
    api.clock.set(wib(2026, 12, 18, 11))
    await asyncio.gather(*(addon_renewals.redrive(svc, workspace, start, "monthly",
                                                  api.clock.now()) for _ in range(4)),
                         *(run_pass(svc, api.clock.now(), f"worker-{i}") for i in range(2)))
    assert [(i["type"], i["amount"]["amount"]) for i in await invoices(api, ws, key,
                                                                        status="pending")] == [
        ("addon", 49_000)]
    assert len([p async for p in svc.db.payments.find({"status": "pending"})]) == 1
