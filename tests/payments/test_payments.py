"""Payment callbacks: signed, amount-checked, exactly once; expiry; late money; crash recovery."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from service.mongo.events import events_of
from service.payments import payments
from service.payments import settlement
from service.runtime.app import create_app
from service.payments.providers import open_providers
from tests.helpers import (ADMIN_TOKEN, PHONE_A, Api, app_services, payment_callback,
                           post_payment_callback, press_pay, sign_payment, topup)

CREDITED = {"conversation": (15000, 50000, 0), "broadcast": (0, 0, 0)}
UNTOUCHED = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}


async def ordered(api: Api, amount: int = 50_000) -> tuple[str, str, dict]:
    ws, key = await api.create_workspace([PHONE_A])
    return ws, key, await topup(api, ws, key, "conversation", amount)


async def invoice_status(api: Api, ws: str, key: str, code: str) -> str:
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}", headers=api.auth(key))
    return (await resp.json())["status"]


async def needs_refund(api: Api) -> list[dict]:
    resp = await api.client.get("/v1/admin/payments?state=needs_refund",
                                headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200
    return (await resp.json())["payments"]


async def test_a_signed_callback_fulfils_and_duplicates_change_nothing(api):
    ws, key, body = await ordered(api)
    raw = payment_callback(body["payment"]["id"])
    for _ in range(3):
        resp = await post_payment_callback(api, raw)
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["payment"]["status"] == "succeeded"
    assert await api.amounts(ws, key) == CREDITED
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "paid"
    assert (await press_pay(api, body["payment"]["id"])).status == 200   # yet another duplicate
    assert await api.amounts(ws, key) == CREDITED
    assert (await api.reconcile())["ok"] is True


async def test_ten_concurrent_identical_callbacks_credit_once(api):
    ws, key, body = await ordered(api)
    raw = payment_callback(body["payment"]["id"])
    responses = await asyncio.gather(*[post_payment_callback(api, raw) for _ in range(10)])
    assert [r.status for r in responses] == [200] * 10
    assert await api.amounts(ws, key) == CREDITED
    svc = app_services(api)
    topup_doc = await svc.db.topups.find_one({"_id": body["topup"]["id"]})
    assert topup_doc["status"] == "paid"
    entries = [d async for d in svc.db.ledger.find({"workspace_id": ws, "kind": "topup"})]
    assert len(entries) == 1
    assert (await api.reconcile())["ok"] is True


async def test_concurrent_pay_and_fail_presses_settle_one_way(api):
    ws, key, body = await ordered(api)
    pid = body["payment"]["id"]
    await asyncio.gather(*[press_pay(api, pid, button) for button in ["pay", "fail"] * 5])
    status = await invoice_status(api, ws, key, body["invoice"]["code"])
    assert status in ("paid", "pending")          # a failure leaves it open (pay later)
    assert await api.amounts(ws, key) == (CREDITED if status == "paid" else UNTOUCHED)
    assert (await api.reconcile())["ok"] is True


@pytest.mark.parametrize("signature", ["", "sha256=", "sha256=" + "0" * 64, "md5=abc",
                                       sign_payment(b"another body")])
async def test_a_wrong_or_missing_signature_is_401_and_credits_nothing(api, signature):
    ws, key, body = await ordered(api)
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]), signature)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    assert await api.amounts(ws, key) == UNTOUCHED


async def test_a_callback_signed_with_another_secret_is_401(api):
    ws, key, body = await ordered(api)
    raw = payment_callback(body["payment"]["id"])
    resp = await post_payment_callback(api, raw, sign_payment(raw, "not-the-secret"))
    assert resp.status == 401
    assert await api.amounts(ws, key) == UNTOUCHED


@pytest.mark.parametrize("amount,currency", [(49_999, "IDR"), (50_001, "IDR"), (0, "IDR"),
                                             (50_000, "USD")])
async def test_an_amount_or_currency_mismatch_is_rejected_and_credits_nothing(api, amount,
                                                                             currency):
    ws, key, body = await ordered(api)
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"],
                                                             amount=amount, currency=currency))
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "payment_amount_mismatch" and error["field"] == "amount"
    assert await api.amounts(ws, key) == UNTOUCHED
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "pending"
    assert (await press_pay(api, body["payment"]["id"])).status == 200   # the right one still works
    assert await api.amounts(ws, key) == CREDITED


async def test_a_callback_for_an_unknown_payment_or_provider_is_404(api):
    ws, key, body = await ordered(api)
    resp = await post_payment_callback(api, payment_callback("pay_does_not_exist"))
    assert resp.status == 404
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]),
                                       provider="stripe")
    assert resp.status == 404
    assert await api.amounts(ws, key) == UNTOUCHED


async def test_a_signed_callback_that_is_not_json_is_400_invalid_json(api):
    """One body decoder for every route (issue 17): not JSON is 400, as on the API's routes."""
    resp = await post_payment_callback(api, b"not json")
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("raw", [
    b"[]", b'{"payment_id": "x"}',
    b'{"payment_id": "x", "provider_reference": "r", "status": "ok", "amount": 1,'
    b' "currency": "IDR", "event_id": "e"}',
    b'{"payment_id": "x", "provider_reference": "r", "status": "succeeded", "amount": 1.5,'
    b' "currency": "IDR", "event_id": "e"}'])
async def test_a_signed_but_malformed_callback_is_422(api, raw):
    resp = await post_payment_callback(api, raw)
    assert resp.status == 422
    assert "error" in await resp.json()


async def test_a_success_after_expiry_is_not_credited_and_needs_a_refund(api, clock):
    ws, key, body = await ordered(api)
    svc = app_services(api)
    clock.advance(timedelta(hours=24, seconds=1))
    assert await settlement.expire_due(svc, api.clock.now()) == 1
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "expired"
    assert (await svc.db.topups.find_one({"_id": body["topup"]["id"]}))["status"] == "expired"
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert resp.status == 200
    assert (await resp.json())["payment"]["status"] == "needs_refund"
    assert await api.amounts(ws, key) == UNTOUCHED
    refunds = await needs_refund(api)
    assert [(p["id"], p["invoice_code"], p["refund_reason"], p["amount"]["amount"])
            for p in refunds] == [(body["payment"]["id"], body["invoice"]["code"],
                                   "invoice_expired", 50000)]
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "expired"
    assert (await api.reconcile())["ok"] is True


async def test_a_success_after_the_deadline_is_late_even_before_the_expiry_job_ran(api, clock):
    ws, key, body = await ordered(api)
    clock.advance(timedelta(hours=24))
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert (await resp.json())["payment"]["status"] == "needs_refund"
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "expired"
    assert await api.amounts(ws, key) == UNTOUCHED


async def test_the_refund_list_is_for_the_admin_only(api):
    ws, key, body = await ordered(api)
    resp = await api.client.get("/v1/admin/payments?state=needs_refund", headers=api.auth(key))
    assert resp.status == 404
    resp = await api.client.get("/v1/admin/payments?state=lost", headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "state"
    assert await needs_refund(api) == []


async def test_a_failed_payment_leaves_the_order_open_and_may_still_succeed(api):
    """Issue 11 (pay later): a failure no longer closes the invoice; until it expires the
    customer may pay it, and a provider that changes its mind about the same payment pays it."""
    ws, key, body = await ordered(api)
    resp = await press_pay(api, body["payment"]["id"], "fail")
    assert resp.status == 200
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "pending"
    svc = app_services(api)
    assert (await svc.db.topups.find_one({"_id": body["topup"]["id"]}))["status"] == "pending"
    assert (await press_pay(api, body["payment"]["id"])).status == 200
    assert await api.amounts(ws, key) == CREDITED
    assert await needs_refund(api) == []


async def test_a_failure_after_a_success_changes_nothing(api):
    ws, key, body = await ordered(api)
    await press_pay(api, body["payment"]["id"])
    assert (await press_pay(api, body["payment"]["id"], "fail")).status == 200
    assert await invoice_status(api, ws, key, body["invoice"]["code"]) == "paid"
    assert await api.amounts(ws, key) == CREDITED


async def test_every_state_change_is_an_event_once(api, clock):
    ws, key, paid = await ordered(api)
    await press_pay(api, paid["payment"]["id"])
    await press_pay(api, paid["payment"]["id"])
    lapsed = await topup(api, ws, key)
    clock.advance(timedelta(hours=25))
    svc = app_services(api)
    await settlement.expire_due(svc, api.clock.now())
    await settlement.sweep(svc, everything=True)
    types = lambda docs: sorted(d["type"] for d in docs)  # noqa: E731
    invoice_id = paid["payment"]["id"].replace("pay_", "inv_")
    assert types(await events_of(svc.db, invoice_id)) == ["invoice.created", "invoice.paid"]
    assert types(await events_of(svc.db, paid["payment"]["id"])) == ["payment.succeeded"]
    completed = await events_of(svc.db, paid["topup"]["id"])
    assert types(completed) == ["topup.completed"]
    shown = (await (await api.client.get(f"/v1/workspaces/{ws}/topups",
                                         headers=api.auth(key))).json())["topups"]
    as_listed = next(t for t in shown if t["id"] == paid["topup"]["id"])
    assert completed[0]["data"] == {**as_listed, "workspace_id": ws}    # as the API shows it
    lapsed_invoice = lapsed["payment"]["id"].replace("pay_", "inv_")
    assert types(await events_of(svc.db, lapsed_invoice)) == ["invoice.created", "invoice.expired"]
    assert types(await events_of(svc.db, lapsed["topup"]["id"])) == ["topup.expired"]


async def test_checkout_page_shows_the_invoice_and_unknown_payments_are_404(api):
    ws, key, body = await ordered(api, 1_500_000 // 2)
    resp = await api.client.get(body["payment"]["checkout_url"],
                                headers={"Accept-Language": "en"})
    html = await resp.text()
    assert resp.status == 200
    assert "IDR 750,000" in html and body["invoice"]["code"] in html and ">Pay<" in html
    assert (await api.client.get("/sandbox/checkout/pay_nope")).status == 404
    assert (await api.client.post("/sandbox/checkout/pay_nope/pay")).status == 404


async def test_the_sandbox_goes_through_signature_checking(aiohttp_client, settings, clock):
    unsigned = dataclasses.replace(settings, payment_webhook_secret="")
    api = Api(await aiohttp_client(create_app(unsigned, clock=clock, background=False)), clock)
    ws, key, body = await ordered(api)
    assert (await press_pay(api, body["payment"]["id"])).status == 401
    assert await api.amounts(ws, key) == UNTOUCHED


async def test_an_unknown_payment_provider_is_refused_at_start_up(settings):
    with pytest.raises(ValueError, match="SALDO_PAYMENT_PROVIDER"):
        unknown = dataclasses.replace(settings, payment_provider="nope")
        async with open_providers(unknown):
            pass
    async with open_providers(settings) as providers:
        assert payments.configured_provider(settings, providers).name == "sandbox"


async def test_without_a_configured_provider_nothing_can_be_ordered_and_no_checkout_exists(
        aiohttp_client, settings, clock):
    # The production default: the sandbox would credit anyone holding a checkout link.
    app = create_app(dataclasses.replace(settings, payment_provider="none"), clock=clock,
                     background=False)
    api = Api(await aiohttp_client(app), clock)
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.post(f"/v1/workspaces/{ws}/topups", headers=api.auth(key),
                                 json={"balance": "conversation", "amount": 50_000})
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "payments_unavailable"
    assert (await api.client.get("/sandbox/checkout/pay_anything")).status == 404
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}
