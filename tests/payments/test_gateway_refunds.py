"""Expiry, late success → needs_refund → refund through the gateway (idempotent, tracked,
`payment.refunded` emitted once), for Xendit and Midtrans; the sandbox simulates refunds."""
from __future__ import annotations

from datetime import timedelta

from service.mongo.events import events_of
from service.payments import polling, settlement
from tests.helpers import ADMIN_TOKEN, PHONE_A, app_services, payment_callback
from tests.helpers import post_payment_callback, topup
from tests.payments.gateway_helpers import REFUND, UNTOUCHED

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def refund(api, payment_id: str, key: str | None = None):
    headers = {**ADMIN, **({"Idempotency-Key": key} if key else {})}
    return await api.client.post(f"/v1/admin/payments/{payment_id}/refund", headers=headers)


async def paid_too_late(rig) -> tuple[str, str, str]:
    """An order whose invoice expired before the customer paid at the gateway."""
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.api.clock.advance(timedelta(hours=25))                  # PAYMENT_EXPIRY is 24h
    await settlement.sweep(app_services(rig.api))
    rig.gw.pay(pid)
    resp = await rig.notify(pid)
    assert resp.status == 200
    assert (await resp.json())["payment"]["status"] == "needs_refund"
    return ws, key, pid


async def test_an_expired_gateway_payment_fails_and_its_invoice_expires_without_credit(rig):
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    rig.gw.expire(pid)
    resp = await rig.notify(pid)
    assert resp.status == 200
    assert (await resp.json())["payment"]["status"] == "failed"
    rig.api.clock.advance(timedelta(hours=25))
    await settlement.sweep(app_services(rig.api))
    invoice = (await rig.api.client.get(f"/v1/workspaces/{ws}/invoices/{body['invoice']['code']}",
                                        headers=rig.api.auth(key)))
    assert (await invoice.json())["status"] == "expired"
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    assert (await rig.api.reconcile())["ok"] is True


async def test_a_late_success_is_refunded_through_the_gateway_once(rig):
    ws, key, pid = await paid_too_late(rig)
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    resp = await refund(rig.api, pid, key="refund-1")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["status"] == "refunded"
    assert body["refund"]["status"] == "succeeded" and body["refund"]["id"] == f"rfd_{pid}_1"
    assert body["refund"]["amount"]["amount"] == 50_000
    calls = rig.gw.knobs.of(REFUND[rig.name].split("{")[0])
    assert len([c for c in calls if c.method == "POST"]) == 1
    again = await refund(rig.api, pid, key="refund-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await (await refund(rig.api, pid)).json())["status"] == "refunded"
    assert len([c for c in rig.gw.knobs.of(REFUND[rig.name].split("{")[0])
                if c.method == "POST"]) == 1
    events = [e["type"] for e in await events_of(app_services(rig.api).db, pid)]
    assert events.count("payment.refunded") == 1 and "payment.needs_refund" in events
    assert await rig.api.amounts(ws, key) == UNTOUCHED
    listed = await rig.api.client.get("/v1/admin/payments?state=refunded", headers=ADMIN)
    assert [p["id"] for p in (await listed.json())["payments"]] == [pid]
    assert (await rig.api.reconcile())["ok"] is True


async def test_only_a_payment_that_needs_a_refund_can_be_refunded(rig):
    ws, key, body = await rig.order()
    resp = await refund(rig.api, body["payment"]["id"])
    assert resp.status == 409
    error = (await resp.json())["error"]
    assert error["code"] == "payment_not_refundable" and error["details"]["status"] == "pending"
    assert (await refund(rig.api, "pay_nope")).status == 404
    assert (await rig.api.client.post(f"/v1/admin/payments/{body['payment']['id']}/refund",
                                      headers=rig.api.auth(key))).status == 404


async def test_a_refund_the_gateway_cannot_take_now_stays_pending_and_the_sweep_finishes_it(
        rig):
    ws, key, pid = await paid_too_late(rig)
    rig.gw.knobs.fail(REFUND[rig.name], 503, 503, 503)
    resp = await refund(rig.api, pid)
    assert resp.status == 503
    svc = app_services(rig.api)
    stored = await svc.db.payments.find_one({"_id": pid})
    assert stored["status"] == "needs_refund" and stored["refund"]["status"] == "pending"
    rig.api.clock.advance(timedelta(minutes=2))
    assert (await polling.sweep(svc))["refunds_finished"] == 1
    assert (await svc.db.payments.find_one({"_id": pid}))["status"] == "refunded"


async def test_xendit_pending_refund_is_finished_by_the_sweep(aiohttp_client, aiohttp_server,
                                                              settings, clock):
    from tests.payments.gateway_helpers import make_rig
    rig = await make_rig(aiohttp_client, aiohttp_server, settings, clock, "xendit")
    ws, key, pid = await paid_too_late(rig)
    rig.gw.refund_status = "PENDING"
    body = await (await refund(rig.api, pid)).json()
    assert body["status"] == "needs_refund" and body["refund"]["status"] == "pending"
    assert body["refund"]["reference"]
    next(iter(rig.gw.refunds.values()))["status"] = "SUCCEEDED"
    rig.api.clock.advance(timedelta(minutes=2))
    assert (await polling.sweep(app_services(rig.api)))["refunds_finished"] == 1
    body = await (await refund(rig.api, pid)).json()
    assert body["status"] == "refunded" and body["refund"]["status"] == "succeeded"
    assert len(rig.gw.knobs.of("POST /refunds")) == 1      # then asked with GET /refunds/{id}


async def test_a_refused_refund_is_failed_and_asking_again_makes_a_new_attempt(
        aiohttp_client, aiohttp_server, settings, clock):
    from tests.payments.gateway_helpers import make_rig
    rig = await make_rig(aiohttp_client, aiohttp_server, settings, clock, "xendit")
    ws, key, pid = await paid_too_late(rig)
    rig.gw.refund_status = "FAILED"
    body = await (await refund(rig.api, pid)).json()
    assert body["status"] == "needs_refund" and body["refund"]["status"] == "failed"
    assert body["refund"]["message"]
    rig.gw.refund_status = "SUCCEEDED"
    body = await (await refund(rig.api, pid)).json()
    assert body["status"] == "refunded" and body["refund"]["attempt"] == 2


async def test_the_sandbox_simulates_a_refund(api):
    ws, key = await api.create_workspace([PHONE_A])
    body = await topup(api, ws, key, "conversation", 50_000)
    pid = body["payment"]["id"]
    api.clock.advance(timedelta(hours=25))
    await settlement.sweep(app_services(api))
    assert (await post_payment_callback(api, payment_callback(pid))).status == 200
    resp = await refund(api, pid)
    body = await resp.json()
    assert resp.status == 200 and body["status"] == "refunded"
    assert body["refund"]["reference"] == f"sbx_rfd_rfd_{pid}_1"
    assert (await api.reconcile())["ok"] is True
