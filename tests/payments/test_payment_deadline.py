"""The payment deadline is exact to the millisecond, also on NX-27017 (which compares stored
datetimes to the second only): money that arrives before `expires_at` is honoured, money that
arrives after it is refunded, and the expiry job never expires an invoice early."""
from __future__ import annotations

from datetime import timedelta

from service.payments import settlement
from tests.conftest import START
from tests.helpers import (PHONE_A, Api, app_services, payment_callback, post_payment_callback,
                           topup)

CREDITED = {"conversation": (15000, 50000, 0), "broadcast": (0, 0, 0)}
UNTOUCHED = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}
ORDERED_AT = START + timedelta(milliseconds=700)          # expires at …:00.700 a day later
EXPIRES_AT = ORDERED_AT + timedelta(hours=24)


async def ordered(api: Api) -> tuple[str, str, dict]:
    ws, key = await api.create_workspace([PHONE_A])
    api.clock.set(ORDERED_AT)
    return ws, key, await topup(api, ws, key, "conversation", 50_000)


async def invoice_of(api: Api, body: dict) -> dict:
    return await app_services(api).db.invoices.find_one({"code": body["invoice"]["code"]})


async def test_money_arriving_300_ms_before_the_deadline_is_credited(api):
    ws, key, body = await ordered(api)
    api.clock.set(EXPIRES_AT - timedelta(milliseconds=300))
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["payment"]["status"] == "succeeded"
    assert (await invoice_of(api, body))["status"] == "paid"
    assert await api.amounts(ws, key) == CREDITED


async def test_money_arriving_200_ms_after_the_deadline_needs_a_refund(api):
    ws, key, body = await ordered(api)
    api.clock.set(EXPIRES_AT + timedelta(milliseconds=200))
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert (await resp.json())["payment"]["status"] == "needs_refund"
    assert (await invoice_of(api, body))["status"] == "expired"
    assert await api.amounts(ws, key) == UNTOUCHED


async def test_the_expiry_job_does_not_expire_an_invoice_300_ms_early(api):
    ws, key, body = await ordered(api)
    svc = app_services(api)
    api.clock.set(EXPIRES_AT - timedelta(milliseconds=300))
    assert await settlement.expire_due(svc, api.clock.now()) == 0
    assert (await invoice_of(api, body))["status"] == "pending"
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert (await resp.json())["payment"]["status"] == "succeeded"
    assert await api.amounts(ws, key) == CREDITED


async def test_the_expiry_job_expires_an_invoice_right_at_its_deadline(api):
    ws, key, body = await ordered(api)
    api.clock.set(EXPIRES_AT)
    assert await settlement.expire_due(app_services(api), api.clock.now()) == 1
    assert (await invoice_of(api, body))["status"] == "expired"
