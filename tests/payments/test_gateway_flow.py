"""Order → the gateway's payment page → its notification (confirmed with its status API) →
the balance credited once, for Xendit and Midtrans, against local fakes of their documented
APIs (tests/payments/fake_xendit.py, fake_midtrans.py)."""
from __future__ import annotations

import asyncio

from service.mongo.events import events_of
from tests.helpers import BILLING_INFO, app_services
from tests.payments.gateway_helpers import CREDITED, PUBLIC_URL, STATUS, UNTOUCHED


async def test_an_order_opens_the_gateways_page_and_its_notification_credits_once(rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    assert body["payment"]["provider"] == rig.name
    assert body["payment"]["checkout_url"].startswith(rig.gw.base)
    back = f"{PUBLIC_URL}/portal/return/{pid}"
    if rig.name == "xendit":
        sent = rig.gw.knobs.of("POST /v2/invoices")[0].body
        assert (sent["external_id"], sent["amount"], sent["currency"]) == (pid, 50_000, "IDR")
        assert sent["payer_email"] == BILLING_INFO["billing_email"]
        assert sent["invoice_duration"] == 24 * 3600           # PAYMENT_EXPIRY
        assert sent["success_redirect_url"] == sent["failure_redirect_url"] == back
    else:
        sent = rig.gw.knobs.of("POST /snap/v1/transactions")[0].body
        assert sent["transaction_details"] == {"order_id": pid, "gross_amount": 50_000}
        assert sum(i["price"] * i["quantity"] for i in sent["item_details"]) == 50_000
        assert sent["customer_details"]["email"] == BILLING_INFO["billing_email"]
        assert sent["expiry"] == {"unit": "minute", "duration": 24 * 60}
        assert sent["callbacks"] == {"finish": back}
    rig.gw.pay(pid)
    resp = await rig.notify(pid)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["payment"]["status"] == "succeeded"
    assert len(rig.gw.knobs.of(STATUS[rig.name].split("{")[0])) >= 1   # confirmed first
    assert await rig.api.amounts(ws, key) == CREDITED
    assert (await rig.notify(pid)).status == 200                       # sent again
    assert await rig.api.amounts(ws, key) == CREDITED
    assert [e["type"] for e in await events_of(app_services(rig.api).db, pid)].count(
        "payment.succeeded") == 1
    assert (await rig.api.reconcile())["ok"] is True


async def test_duplicated_concurrent_notifications_credit_once(rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.gw.pay(pid)
    answers = await asyncio.gather(*(rig.notify(pid) for _ in range(6)))
    assert [a.status for a in answers] == [200] * 6
    assert await rig.api.amounts(ws, key) == CREDITED
    assert (await rig.api.reconcile())["ok"] is True


async def test_forged_notifications_are_refused_and_credit_nothing(rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.gw.pay(pid)
    if rig.name == "xendit":
        forged = [rig.gw.notification(pid, token="guessed-token"),
                  (rig.gw.notification(pid)[0], {"Content-Type": "application/json"})]
    else:
        raw, headers = rig.gw.notification(pid, key="SB-Mid-server-guessed")
        tampered = rig.gw.notification(pid)[0].replace(b'"50000.00"', b'"5000000.00"')
        forged = [(raw, headers), (tampered, headers)]
    status_calls = len(rig.gw.knobs.calls)
    for raw, headers in forged:
        resp = await rig.post_raw(raw, headers)
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "unauthorized"
    assert len(rig.gw.knobs.calls) == status_calls          # the gateway was not even asked
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    assert await app_services(rig.api).db.payment_callbacks.count_documents({}) == 0


async def test_a_genuine_notification_the_gateway_does_not_confirm_credits_nothing(rig):
    """Never trust one message: signed, but the gateway's status API says still pending."""
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    if rig.name == "xendit":
        resp = await rig.notify(pid, status="PAID", paid_amount=50_000)
    else:
        rig.gw.pay(pid, status="pending", fraud=None)
        resp = await rig.notify(pid, transaction_status="settlement", status_code="200")
    assert resp.status == 200
    assert (await resp.json())["payment"]["status"] == "pending"
    assert await rig.api.amounts(ws, key) == UNTOUCHED


async def test_a_payment_of_another_amount_is_not_credited_and_is_recorded(rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.gw.pay(pid, amount=10_000)
    resp = await rig.notify(pid)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "payment_amount_mismatch"
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    svc = app_services(rig.api)
    assert await svc.db.payment_callbacks.count_documents({"payment_id": pid}) == 1
    assert (await svc.db.payments.find_one({"_id": pid}))["status"] == "pending"
