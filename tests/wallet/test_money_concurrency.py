"""Every other path that moves money, under real concurrency (issue 9 item 4): paying an
immediate upgrade, paying a credit pack, increasing an add-on's quantity and renewing, each
raced by concurrent requests, credit or apply exactly once; a renewal paid while the boundary
rolls counts as paid; reconcile stays ok."""
import asyncio

from tests.helpers import claim_paid
from service.payments.orders import settle_invoice
from tests.addon_helpers import (EXTRA_USER, WA_CONV, addon_body, bought, buy_and_pay,
                                 create_addon, held, set_quantity)
from tests.helpers import (account_credit, app_services, assert_reconciled, payment_callback,
                           post_payment_callback, press_pay, usage_entries)
from tests.subscription_helpers import (IMMEDIATE_UPGRADES, post, run_due, set_policy,
                                        subscription, wib)

PHONE = "6281100000031"


async def callbacks(api, placed: dict, n: int = 10) -> None:
    raw = payment_callback(placed["payment"]["id"], amount=placed["invoice"]["amount"]["amount"])
    responses = await asyncio.gather(*(post_payment_callback(api, raw) for _ in range(n)))
    assert [r.status for r in responses] == [200] * n


async def kinds(api, ws: str, key: str, kind: str) -> list[int]:
    return [e["amount"]["amount"] for e in await usage_entries(api, ws, key, kind=kind)]


async def test_concurrent_callbacks_of_an_immediate_upgrade_apply_it_once(api):
    await set_policy(api, IMMEDIATE_UPGRADES)
    ws, key = await api.create_workspace([PHONE], plan="growth")
    growth_only = await create_addon(api, addon_body("growth-seat", applicable_plans=[
        "growth"], periods={"monthly": {"currency": "IDR", "amount": 30_000}}))
    await buy_and_pay(api, ws, key, growth_only["id"])
    api.clock.set(wib(2026, 12, 11, 10))                   # 10 of 30 days left
    placed = await (await post(api, ws, key, "change", {"plan": "pro",
                                                        "period": "monthly"})).json()
    assert placed["quote"]["timing"] == "immediate"
    await callbacks(api, placed)
    assert (await subscription(api, ws, key))["plan"] == "pro"
    assert await kinds(api, ws, key, "addon_credit") == []         # not WhatsApp balance:
    assert await account_credit(api, ws, key) == (10_000, [10_000])  # the removed seat, once
    assert sorted(await kinds(api, ws, key, "grant")) == [30_000, 30_000]  # Growth + upgrade
    await assert_reconciled(api)


async def test_concurrent_callbacks_of_a_credit_pack_credit_it_once(api):
    ws, key = await api.create_workspace([PHONE], plan="growth")
    pack = await create_addon(api, WA_CONV)
    await callbacks(api, await bought(api, ws, key, pack["id"], 2))
    assert await kinds(api, ws, key, "addon_credit") == [60_000]
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 60_000, 0)
    await assert_reconciled(api)


async def test_concurrent_increases_apply_at_most_one_paid_invoice(api):
    ws, key = await api.create_workspace([PHONE], plan="growth")
    seat = await create_addon(api, addon_body("seat", periods={"monthly": {
        "currency": "IDR", "amount": 100_000}}))
    await buy_and_pay(api, ws, key, seat["id"], 6)
    api.clock.set(wib(2026, 12, 6, 10))
    ups = await asyncio.gather(*(set_quantity(api, ws, key, seat["id"], q)
                                 for q in (8, 9, 8, 9)))
    payments = {(await r.json())["payment"]["id"] for r in ups if r.status == 200}
    await asyncio.gather(*(press_pay(api, p) for p in payments))   # pay every invoice issued
    quantity = (await held(api, ws, key))[seat["id"]]["quantity"]
    applied = [o async for o in app_services(api).db.addon_orders.find(
        {"workspace_id": ws, "action": "change", "outcome": "applied"})]
    assert len(applied) == 1 and applied[0]["lines"][0]["quantity"] == quantity
    await assert_reconciled(api)


async def test_concurrent_renewals_issue_one_invoice(api):
    ws, key = await api.create_workspace([PHONE], plan="growth")
    api.clock.set(wib(2026, 12, 19, 10))
    responses = await asyncio.gather(*(post(api, ws, key, "renew") for _ in range(5)))
    codes = {(await r.json())["invoice"]["code"] for r in responses if r.status == 201}
    assert len(codes) == 1, [r.status for r in responses]
    assert all(r.status in (201, 409) for r in responses)
    await assert_reconciled(api)


async def test_a_renewal_paid_while_the_boundary_rolls_keeps_its_addon(api):
    """The add-on's renewal invoice is paid (claimed) but its fulfilment has not run yet when
    the billing run crosses the boundary: the run settles it before counting what is paid,
    instead of removing a paid add-on as unpaid."""
    ws, key = await api.create_workspace([PHONE])               # Free: the add-on's own invoice
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])
    await run_due(api, wib(2026, 12, 18, 10))
    svc = app_services(api)
    invoice = await svc.db.invoices.find_one({"workspace_id": ws, "status": "pending"})
    payment = await svc.db.payments.find_one({"invoice_id": invoice["_id"]})
    paid_at = wib(2026, 12, 18, 11)
    paid = await claim_paid(svc.db, invoice["_id"], payment["_id"], paid_at, paid_at)
    await run_due(api, wib(2026, 12, 21, 10))
    await settle_invoice(svc, paid, api.clock.now())            # the slow fulfilment ends
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 1
    await assert_reconciled(api)
