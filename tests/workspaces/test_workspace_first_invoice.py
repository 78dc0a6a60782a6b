"""A workspace created on a paid plan (issue 9 item 14): it starts on Free with the first
period's invoice and moves to the plan when that is paid; unpaid, it stays on Free. An admin or
reseller may instead give the first period (`complimentary`), which the subscription records."""
import asyncio
import dataclasses
from datetime import timedelta

from service.runtime.app import create_app
from tests.addon_helpers import create_reseller
from tests.conftest import START
from tests.helpers import (ADMIN_TOKEN, PHONE_A, Api, assert_reconciled, press_pay,
                           usage_entries)
from tests.subscription_helpers import invoices, run_due, subscription

MONTH_END = START + timedelta(days=30)          # 2026-12-21 10:00 WIB


async def _open(api: Api, token: str = ADMIN_TOKEN, **extra):
    return await api.client.post("/v1/workspaces", headers=api.auth(token), json={
        "name": "Toko Budi", "phone_number_ids": [PHONE_A], **extra})


async def _opened(api: Api, **extra) -> dict:
    resp = await _open(api, ADMIN_TOKEN, **extra)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_a_growth_workspace_is_invoiced_first_and_on_growth_once_paid(api):
    body = await _opened(api, plan="growth")
    ws, key = body["workspace"]["id"], body["api_key"]
    assert body["workspace"]["plan"] == "free"
    invoice = body["invoice"]
    assert (invoice["code"], invoice["type"], invoice["status"]) == (
        "INV/2026/000001", "subscription", "pending")
    assert invoice["amount"]["amount"] == 299_000
    assert body["payment"]["checkout_url"].startswith("/sandbox/checkout/pay_")
    change = body["subscription"]["scheduled_change"]
    assert (change["kind"], change["plan"], change["timing"], change["invoice_code"]) == (
        "subscription", "growth", "immediate", "INV/2026/000001")
    assert (await api.amounts(ws, key))["conversation"] == (15_000, 0, 0)   # Free until paid
    assert [i["code"] for i in await invoices(api, ws, key)] == ["INV/2026/000001"]

    api.clock.advance(timedelta(hours=2))
    resp = await press_pay(api, body["payment"]["id"])
    assert resp.status == 200, await resp.text()
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["scheduled_change"], sub["complimentary"]) == ("growth", None, None)
    assert sub["current_period"]["start"].startswith("2026-11-21T03:00:00")
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)   # Growth's grant
    resp = await api.client.get(f"/v1/workspaces/{ws}", headers=api.auth(key))
    assert (await resp.json())["plan"] == "growth"
    [paid] = await invoices(api, ws, key)
    assert paid["status"] == "paid"

    await run_due(api, MONTH_END - timedelta(days=3))      # then it renews like any Growth
    renewal = (await invoices(api, ws, key))[0]
    assert (renewal["code"], renewal["type"], renewal["amount"]["amount"]) == (
        "INV/2026/000002", "renewal", 299_000)
    await assert_reconciled(api)


async def test_an_unpaid_first_invoice_expires_and_the_workspace_stays_on_free(api):
    body = await _opened(api, plan="pro")
    ws, key = body["workspace"]["id"], body["api_key"]
    assert body["invoice"]["amount"]["amount"] == 599_000
    await run_due(api, START + timedelta(hours=25))         # PAYMENT_EXPIRY is 24 h
    assert [(i["type"], i["status"]) for i in await invoices(api, ws, key)] == [
        ("subscription", "expired")]
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["scheduled_change"]) == ("free", None)
    assert (await api.amounts(ws, key))["conversation"] == (15_000, 0, 0)
    await press_pay(api, body["payment"]["id"])             # too late: nothing changes
    assert (await subscription(api, ws, key))["plan"] == "free"
    await assert_reconciled(api)


async def test_a_complimentary_first_period_has_no_invoice_and_is_recorded(api):
    body = await _opened(api, plan="growth", complimentary=True)
    ws, key = body["workspace"]["id"], body["api_key"]
    assert (body["workspace"]["plan"], body["invoice"], body["payment"]) == ("growth", None, None)
    gift = (await subscription(api, ws, key))["complimentary"]
    assert (gift["plan"], gift["granted_by"], gift["reseller_id"]) == ("growth", "admin", None)
    assert gift["period"]["start"].startswith("2026-11-21T03:00:00")
    assert gift["period"]["end"].startswith("2026-12-21T03:00:00")
    assert body["subscription"]["complimentary"] == gift
    assert await invoices(api, ws, key) == []
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    await run_due(api, MONTH_END - timedelta(days=3))       # the next period is invoiced
    assert [(i["type"], i["amount"]["amount"]) for i in await invoices(api, ws, key)] == [
        ("renewal", 299_000)]


async def test_a_reseller_may_give_its_customer_a_complimentary_first_period(api):
    reseller, reseller_key = await create_reseller(api, "Mitra Digital")
    resp = await _open(api, reseller_key, plan="pro", complimentary=True)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    gift = body["subscription"]["complimentary"]
    assert (gift["plan"], gift["granted_by"], gift["reseller_id"]) == ("pro", "reseller", reseller)


async def test_complimentary_needs_a_paid_plan(api):
    for extra in ({"complimentary": True}, {"plan": "free", "complimentary": True}):
        resp = await _open(api, **extra)
        assert resp.status == 422
        assert (await resp.json())["error"]["code"] == "complimentary_needs_paid_plan"
    resp = await _open(api, plan="growth", complimentary="yes")
    assert resp.status == 422


async def test_without_a_payment_provider_a_paid_workspace_is_refused_before_anything(
        aiohttp_client, settings, clock):
    app = create_app(dataclasses.replace(settings, payment_provider="none"), clock=clock,
                     background=False)
    api = Api(await aiohttp_client(app), clock)
    resp = await _open(api, plan="growth")
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "payments_unavailable"
    body = await _opened(api)                             # its number was not taken
    assert body["workspace"]["plan"] == "free"


async def test_concurrent_payments_of_the_first_invoice_apply_the_plan_once(api):
    body = await _opened(api, plan="growth")
    ws, key = body["workspace"]["id"], body["api_key"]
    responses = await asyncio.gather(*(press_pay(api, body["payment"]["id"]) for _ in range(8)))
    assert all(r.status == 200 for r in responses)
    assert (await subscription(api, ws, key))["plan"] == "growth"
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    grants = [e for e in await usage_entries(api, ws, key) if e["kind"] == "grant"]
    assert sorted(e["amount"]["amount"] for e in grants) == [15_000, 15_000]
    await assert_reconciled(api)
