"""Cancelling a paid plan that holds add-ons (issue 9 item 6): the switch to Free at the period
end never depends on a payment; the add-ons that carry over to Free are billed on an invoice
of their own, and dropped at the switch if it stays unpaid."""
from dataclasses import replace

from billing.money import Money
from billing.subscriptions import Choice
from service.subscriptions import orders
from service.subscriptions import state as subscription_state
from service.subscriptions.plans import load_plans
from service.workspaces.lookup import workspace_by_id
from tests.addon_helpers import addon_body, buy_and_pay, create_addon, held
from tests.helpers import PHONE_A, app_services, assert_reconciled, press_pay
from tests.subscription_helpers import granted, invoices, post, run_due, subscription, wib

SUPPORT = addon_body("priority-support", type="feature", entitlements=["priority_support"],
                     allow_multiple=False, max_quantity=1,
                     periods={"monthly": {"currency": "IDR", "amount": 50_000}})
DAY_AFTER = wib(2026, 11, 22, 12)
LEAD = wib(2026, 12, 18, 10)
DEC_21 = wib(2026, 12, 21, 10)


async def cancel(api, ws: str, key: str) -> dict:
    resp = await post(api, ws, key, "cancel")
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_cancel_with_a_carried_addon_switches_to_free_whatever_its_invoice_does(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    support = await create_addon(api, SUPPORT)
    await buy_and_pay(api, ws, key, support["id"])
    placed = await cancel(api, ws, key)
    assert placed["invoice"] is None                       # no "Paket Free" plan invoice
    assert placed["subscription"]["scheduled_change"]["kind"] == "cancel"
    await run_due(api, DAY_AFTER)
    assert (await subscription(api, ws, key))["scheduled_change"]["kind"] == "cancel"
    await run_due(api, LEAD)                               # the add-on's own renewal invoice
    [own] = await invoices(api, ws, key, status="pending")
    assert (own["type"], own["amount"]["amount"]) == ("addon", 50_000)
    assert "Paket" not in own["package"]
    await run_due(api, wib(2026, 12, 19, 12))              # it expired: issued again
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["scheduled_change"], sub["addons"]) == ("free", None, [])
    assert await granted(api, ws, key) == 15_000
    await run_due(api, wib(2027, 1, 18, 10))               # nothing of Growth ever comes back
    await run_due(api, wib(2027, 1, 21, 10))
    assert (await subscription(api, ws, key))["plan"] == "free"
    every = await invoices(api, ws, key)
    assert {i["type"] for i in every} == {"addon"}
    assert sorted(i["status"] for i in every) == ["expired", "expired", "paid"]
    await assert_reconciled(api)


async def test_a_carried_addon_paid_on_its_own_invoice_stays_on_free(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    support = await create_addon(api, SUPPORT)
    await buy_and_pay(api, ws, key, support["id"])
    await run_due(api, LEAD)                               # Growth's renewal, add-on included
    [renewal] = await invoices(api, ws, key, status="pending")
    assert renewal["amount"]["amount"] == 299_000 + 50_000
    api.clock.set(wib(2026, 12, 19, 10))
    assert (await cancel(api, ws, key))["invoice"] is None
    [cancelled] = await invoices(api, ws, key, type="renewal")
    assert cancelled["status"] == "cancelled"
    await run_due(api, wib(2026, 12, 19, 10))
    [own] = await invoices(api, ws, key, status="pending")
    assert (own["type"], own["amount"]["amount"]) == ("addon", 50_000)
    payment = await app_services(api).db.payments.find_one({"invoice_code": own["code"]})
    assert (await press_pay(api, payment["_id"])).status == 200
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["entitlements"]) == ("free", ["priority_support"])
    assert (await held(api, ws, key))[support["id"]]["quantity"] == 1
    await assert_reconciled(api)


async def test_a_downgrade_to_free_with_addons_does_not_wait_for_a_payment(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    support = await create_addon(api, SUPPORT)
    await buy_and_pay(api, ws, key, support["id"])
    resp = await post(api, ws, key, "change", {"plan": "free", "period": "monthly"})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["invoice"] is None
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["addons"]) == ("free", [])


async def test_a_cancel_waiting_on_a_plan_invoice_from_before_the_fix_still_happens(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    svc = app_services(api)
    await cancel(api, ws, key)
    doc = await subscription_state.load(svc, ws)
    plans = await load_plans(svc.db)
    free = Choice(plans["free"], "monthly")
    spec = orders.OrderSpec(ws, subscription_state.current_choice(doc, plans), free,
                            subscription_state.next_period_for(doc, "monthly", svc.settings.tz),
                            "end_of_term", "plan_change", Money.idr(0))   # "Paket Free"
    order, invoice, _ = await orders.issue(svc, await workspace_by_id(svc, ws),
                                           spec, api.clock.now())
    doc = await subscription_state.load(svc, ws)
    assert await subscription_state.save(svc, replace(doc, scheduled_change=replace(
        doc.scheduled_change, order_id=order.id, invoice_code=invoice.code)), api.clock.now())
    await run_due(api, DAY_AFTER)                          # that invoice expired unpaid
    assert (await subscription(api, ws, key))["scheduled_change"]["kind"] == "cancel"
    await run_due(api, DEC_21)
    assert (await subscription(api, ws, key))["plan"] == "free"
