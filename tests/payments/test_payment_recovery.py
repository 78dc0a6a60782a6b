"""A process may die at any line of a payment's fulfilment: the sweep (and start-up recovery,
and a provider's retry) finish the work exactly once."""
from __future__ import annotations

from datetime import timedelta

from billing.money import Money
from billing.wallet import LedgerIntent
from service.mongo.revisions import swap
from service.payments import settlement
from tests.helpers import (PHONE_A, Api, app_services, claim_paid, payment_callback,
                           post_payment_callback, topup)

CREDITED = {"conversation": (15000, 50000, 0), "broadcast": (0, 0, 0)}
UNTOUCHED = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}


async def ordered(api: Api) -> tuple[str, str, dict]:
    ws, key = await api.create_workspace([PHONE_A])
    return ws, key, await topup(api, ws, key, "conversation", 50_000)


async def died_after_marking_succeeded(api: Api, payment_id: str) -> None:
    now = api.clock.now()
    await swap(app_services(api).db.payments, {"_id": payment_id, "status": "pending"},
               {"status": "succeeded", "succeeded_at": now, "resolved": False, "updated_at": now})


async def test_sweep_finishes_a_success_that_died_before_the_invoice_was_paid(api):
    ws, key, body = await ordered(api)
    await died_after_marking_succeeded(api, body["payment"]["id"])
    assert await api.amounts(ws, key) == UNTOUCHED
    svc = app_services(api)
    assert (await settlement.sweep(svc))["payments_redriven"] == 0     # too fresh to touch
    api.clock.advance(settlement.REDRIVE_AFTER + timedelta(seconds=1))
    assert (await settlement.sweep(svc))["payments_redriven"] == 1
    assert await api.amounts(ws, key) == CREDITED
    invoice = await svc.db.invoices.find_one({"payment_id": body["payment"]["id"]})
    assert invoice["status"] == "paid" and invoice["settled"] is True
    await settlement.sweep(svc, everything=True)
    assert await api.amounts(ws, key) == CREDITED
    assert (await api.reconcile())["ok"] is True


async def test_money_that_arrived_in_time_is_honoured_even_if_expiry_runs_first(api):
    ws, key, body = await ordered(api)
    await died_after_marking_succeeded(api, body["payment"]["id"])
    api.clock.advance(timedelta(hours=30))
    svc = app_services(api)
    assert await settlement.expire_due(svc, api.clock.now()) == 0
    assert await api.amounts(ws, key) == CREDITED
    assert (await svc.db.topups.find_one({"_id": body["topup"]["id"]}))["status"] == "paid"


async def test_a_providers_retry_finishes_the_work_at_once(api):
    ws, key, body = await ordered(api)
    await died_after_marking_succeeded(api, body["payment"]["id"])
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert resp.status == 200
    assert await api.amounts(ws, key) == CREDITED


async def test_sweep_credits_a_paid_invoice_whose_fulfilment_died(api):
    ws, key, body = await ordered(api)
    svc = app_services(api)
    now = api.clock.now()
    invoice_id = body["payment"]["id"].replace("pay_", "inv_")
    await swap(svc.db.invoices, {"_id": invoice_id}, {
        "status": "paid", "paid_at": now, "settled": False, "updated_at": now})
    await swap(svc.db.payments, {"_id": body["payment"]["id"]}, {
        "status": "succeeded", "succeeded_at": now, "resolved": True, "updated_at": now})
    assert (await settlement.sweep(svc, everything=True))["invoices_settled"] == 1
    assert await api.amounts(ws, key) == CREDITED
    assert (await svc.db.topups.find_one({"_id": body["topup"]["id"]}))["status"] == "paid"


async def test_sweep_does_not_credit_twice_when_the_ledger_entry_was_already_posted(api):
    ws, key, body = await ordered(api)
    svc = app_services(api)
    now = api.clock.now()
    invoice_id = body["payment"]["id"].replace("pay_", "inv_")
    assert await claim_paid(svc.db, invoice_id, body["payment"]["id"], now, now)
    await svc.ledger.post(ws, [LedgerIntent(f"topup:{body['topup']['id']}", "topup",
                                            "conversation", Money.idr(50_000))], now)
    assert await api.amounts(ws, key) == CREDITED                 # credited, then "crash"
    await settlement.sweep(svc, everything=True)
    await settlement.sweep(svc, everything=True)
    assert await api.amounts(ws, key) == CREDITED
    assert (await svc.db.topups.find_one({"_id": body["topup"]["id"]}))["status"] == "paid"
    assert (await api.reconcile())["ok"] is True


async def test_a_restarted_app_recovers_at_start_up(api, aiohttp_client, make_app):
    ws, key, body = await ordered(api)
    await died_after_marking_succeeded(api, body["payment"]["id"])
    restarted = Api(await aiohttp_client(make_app()), api.clock)   # start-up recovery runs
    assert await restarted.amounts(ws, key) == CREDITED
