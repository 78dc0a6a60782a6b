"""Plan changes raced by the payment of the next period (issue 9 item 4): a payment that has
been taken (invoice paid) but not fulfilled yet — a slow or crashed callback the sweep would
finish — counts as paid, so a change, a cancellation or an undo decided meanwhile cannot
leave the customer's money unused."""
import asyncio

from tests.helpers import claim_paid
from service.payments.orders import settle_invoice
from tests.helpers import app_services, assert_reconciled, press_pay
from tests.subscription_helpers import change, post, run_due, subscription, wib

PHONE = "6281100000051"
PAID_AT = wib(2026, 11, 21, 11)      # within the invoice's 24 h
DEC_21 = wib(2026, 12, 21, 10)


async def pro_being_paid(api):
    """A Free workspace whose change to Pro is paid, its fulfilment not run yet."""
    ws, key = await api.create_workspace([PHONE])
    placed = await change(api, ws, key, "pro")
    svc = app_services(api)
    pending = await svc.db.invoices.find_one({"code": placed["invoice"]["code"]})
    api.clock.set(PAID_AT)
    paid = await claim_paid(svc.db, pending["_id"], placed["payment"]["id"], PAID_AT, PAID_AT)
    assert paid is not None
    return ws, key, paid


async def test_a_change_decided_while_the_next_period_is_being_paid_is_refused(api):
    ws, key, paid = await pro_being_paid(api)
    resp = await post(api, ws, key, "change", {"plan": "growth", "period": "monthly"})
    assert (resp.status, (await resp.json())["error"]["code"]) == (
        409, "next_period_already_paid")
    await settle_invoice(app_services(api), paid, api.clock.now())
    await run_due(api, DEC_21)
    assert (await subscription(api, ws, key))["plan"] == "pro"
    await assert_reconciled(api)


async def test_undoing_a_change_that_is_being_paid_is_refused(api):
    ws, key, paid = await pro_being_paid(api)
    resp = await api.client.delete(f"/v1/workspaces/{ws}/subscription/scheduled-change",
                                   headers=api.auth(key))
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "scheduled_change_paid")
    await settle_invoice(app_services(api), paid, api.clock.now())
    await run_due(api, DEC_21)
    assert (await subscription(api, ws, key))["plan"] == "pro"


async def test_a_cancellation_racing_the_payment_of_a_change_leaves_no_money_unused(api):
    for phone in ("6281100000061", "6281100000062", "6281100000063"):
        api.clock.set(wib(2026, 11, 21, 10))
        ws, key = await api.create_workspace([phone])
        placed = await change(api, ws, key, "pro")
        paid, cancelled = await asyncio.gather(
            press_pay(api, placed["payment"]["id"]), post(api, ws, key, "cancel"))
        assert paid.status == 200 and cancelled.status in (200, 409)
        status = (await app_services(api).db.invoices.find_one(
            {"code": placed["invoice"]["code"]}))["status"]
        await run_due(api, DEC_21)
        plan = (await subscription(api, ws, key))["plan"]
        # paid → the change stands (the cancellation was refused); else it was cancelled first
        assert (status, plan, cancelled.status) in (("paid", "pro", 409),
                                                    ("cancelled", "free", 200)), status
    await assert_reconciled(api)


async def test_a_renewal_paid_but_not_fulfilled_when_the_grace_ends_renews_the_plan(api):
    ws, key = await api.create_workspace([PHONE], plan="growth")
    await run_due(api, wib(2026, 12, 18, 10))                  # the renewal invoice
    svc = app_services(api)
    invoice = await svc.db.invoices.find_one({"workspace_id": ws, "status": "pending"})
    payment = await svc.db.payments.find_one({"invoice_id": invoice["_id"]})
    paid_at = wib(2026, 12, 18, 11)
    assert await claim_paid(svc.db, invoice["_id"], payment["_id"], paid_at, paid_at)
    report = await run_due(api, wib(2026, 12, 29, 10))         # past the 7-day grace
    assert report.get("errors", 0) == 0 and "rolled_lapsed" not in report, report
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["current_period"]["start"][:10]) == ("growth", "2026-12-21")
    await assert_reconciled(api)
