"""Invoices: codes INV/YYYY/NNNNNN (gapless, never reused), reads by code, PDF, tenancy."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from yarl import URL

from service.invoices import numbering
from service.payments import settlement
from service.runtime.app import create_app
from tests.helpers import (ADMIN_TOKEN, PHONE_A, PHONE_B, Api, app_services, order_topup,
                           press_pay, topup)
from tests.pdf_text import pdf_text


def invoice_url(ws: str, code: str, suffix: str = "", encoded: bool = False) -> URL:
    path_code = quote(code, safe="") if encoded else code
    return URL(f"/v1/workspaces/{ws}/invoices/{path_code}{suffix}", encoded=True)


async def test_invoice_has_the_contract_shape(api):
    ws, key = await api.create_workspace([PHONE_A])
    body = await topup(api, ws, key, "conversation", 50_000)
    invoice = body["invoice"]
    assert invoice["code"] == "INV/2026/000001"
    assert invoice["type"] == "topup" and invoice["status"] == "pending"
    assert invoice["requested_at"].startswith("2026-11-21T03:00:00")
    assert invoice["expires_at"].startswith("2026-11-22T03:00:00")
    assert invoice["package"] == "Top-up saldo percakapan WhatsApp Rp50.000"
    assert invoice["amount"] == {"amount": 50000, "currency": "IDR", "formatted": "Rp50.000"}
    assert invoice["lines"] == [{
        "description": "Saldo percakapan WhatsApp", "quantity": 1,
        "unit_price": {"amount": 50000, "currency": "IDR", "formatted": "Rp50.000"},
        "amount": {"amount": 50000, "currency": "IDR", "formatted": "Rp50.000"}}]
    assert invoice["buyer"] == {"workspace_id": ws, "name": "PT Toko Budi Sejahtera",
                                "address": "Jl. Sudirman 1\nJakarta 10220",
                                "tax_id": "012345678901000", "email": "finance@tokobudi.id",
                                "phone": "+62 21 555 0100"}
    assert invoice["seller"]["name"] == "Saldo"
    assert invoice["paid_at"] is None


@pytest.mark.parametrize("encoded", [False, True])
async def test_invoice_is_read_by_code_with_raw_or_encoded_slashes(api, encoded):
    ws, key = await api.create_workspace([PHONE_A])
    code = (await topup(api, ws, key))["invoice"]["code"]
    resp = await api.client.get(invoice_url(ws, code, encoded=encoded), headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["code"] == code
    pdf = await api.client.get(invoice_url(ws, code, ".pdf", encoded), headers=api.auth(key))
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")


async def test_pdf_is_in_the_callers_language(api):
    ws, key = await api.create_workspace([PHONE_A])
    body = await topup(api, ws, key, "broadcast", 1_250_000)
    await press_pay(api, body["payment"]["id"])
    code = body["invoice"]["code"]
    indonesian = pdf_text(await (await api.client.get(invoice_url(ws, code, ".pdf"),
                                                      headers=api.auth(key))).read())
    english = pdf_text(await (await api.client.get(invoice_url(ws, code, ".pdf"), headers={
        **api.auth(key), "Accept-Language": "en"})).read())
    for needle in ("FAKTUR", "Rp1.250.000", "Lunas", "21 November 2026, 10:00 WIB",
                   "Top-up saldo broadcast WhatsApp Rp1.250.000", "INV/2026/000001"):
        assert needle in indonesian.splitlines(), needle
    for needle in ("INVOICE", "IDR 1,250,000", "Paid",
                   "WhatsApp broadcast balance top-up IDR 1,250,000", "INV/2026/000001"):
        assert needle in english.splitlines(), needle


async def test_seller_comes_from_settings_and_is_printed(aiohttp_client, settings, clock):
    custom = dataclasses.replace(settings, seller_name="PT Saldo Nusantara",
                                 seller_address="Jl. Sudirman 1\nJakarta 10220",
                                 seller_tax_id="01.234.567.8-901.000")
    api = Api(await aiohttp_client(create_app(custom, clock=clock, background=False)), clock)
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    invoice = (await topup(api, ws, key))["invoice"]
    assert invoice["seller"] == {"name": "PT Saldo Nusantara",
                                 "address": "Jl. Sudirman 1\nJakarta 10220",
                                 "tax_id": "01.234.567.8-901.000"}
    pdf = pdf_text(await (await api.client.get(invoice_url(ws, invoice["code"], ".pdf"),
                                               headers=api.auth(key))).read())
    for needle in ("PT Saldo Nusantara", "Jakarta 10220", "NPWP: 01.234.567.8-901.000",
                   "Toko Budi"):
        assert needle in pdf.splitlines(), needle


async def test_another_workspaces_invoice_is_not_found(api):
    ws, key = await api.create_workspace([PHONE_A])
    other_ws, other_key = await api.create_workspace([PHONE_B])
    code = (await topup(api, ws, key))["invoice"]["code"]
    for url in (invoice_url(ws, code), invoice_url(ws, code, ".pdf")):
        assert (await api.client.get(url, headers=api.auth(other_key))).status == 404
    for url in (invoice_url(other_ws, code), invoice_url(other_ws, code, ".pdf")):
        resp = await api.client.get(url, headers=api.auth(other_key))
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "not_found"
    listed = await (await api.client.get(f"/v1/workspaces/{other_ws}/invoices",
                                         headers=api.auth(other_key))).json()
    assert listed["invoices"] == []
    admin = await api.client.get(invoice_url(ws, code), headers=api.auth(ADMIN_TOKEN))
    assert admin.status == 200


@pytest.mark.parametrize("code", ["INV/2026/999999", "INV/2026/1", "nonsense", "INV/26/000001"])
async def test_unknown_or_malformed_codes_are_not_found(api, code):
    ws, key = await api.create_workspace([PHONE_A])
    await topup(api, ws, key)
    resp = await api.client.get(invoice_url(ws, code), headers=api.auth(key))
    assert resp.status == 404


async def test_list_filters_by_type_and_status_with_cursor_pages(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    codes = []
    for amount in (10_000, 20_000, 30_000):
        body = await topup(api, ws, key, "conversation", amount)
        codes.append(body["invoice"]["code"])
        if amount == 20_000:
            await press_pay(api, body["payment"]["id"])
        clock.advance(timedelta(seconds=1))
    url = f"/v1/workspaces/{ws}/invoices"
    get = lambda **q: api.client.get(url, params=q, headers=api.auth(key))  # noqa: E731
    everything = (await (await get()).json())["invoices"]
    assert [i["code"] for i in everything] == codes[::-1]
    paid = (await (await get(status="paid")).json())["invoices"]
    assert [i["code"] for i in paid] == [codes[1]]
    pending = (await (await get(type="topup", status="pending")).json())["invoices"]
    assert [i["code"] for i in pending] == [codes[2], codes[0]]
    assert (await (await get(type="renewal")).json())["invoices"] == []
    first = await (await get(limit="2")).json()
    second = await (await get(limit="2", cursor=first["next_cursor"])).json()
    assert [i["code"] for i in first["invoices"] + second["invoices"]] == codes[::-1]
    assert second["next_cursor"] is None
    for bad in ({"status": "lost"}, {"type": "gift"}, {"limit": "0"}, {"cursor": "%%%"}):
        resp = await get(**bad)
        assert resp.status == 422, bad
        assert (await resp.json())["error"]["field"] == next(iter(bad))


async def test_fifty_concurrent_orders_get_fifty_consecutive_codes(api):
    ws, key = await api.create_workspace([PHONE_A])
    responses = await asyncio.gather(*[order_topup(api, ws, key, "conversation", 10_000 + i)
                                       for i in range(50)])
    assert [r.status for r in responses] == [201] * 50
    codes = sorted([(await r.json())["invoice"]["code"] for r in responses])
    assert codes == [f"INV/2026/{n:06d}" for n in range(1, 51)]


async def test_expired_invoice_keeps_its_code_and_codes_are_never_reused(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    first = await topup(api, ws, key)
    clock.advance(timedelta(hours=24))
    assert await settlement.expire_due(app_services(api), api.clock.now()) == 1
    second = await topup(api, ws, key)
    resp = await api.client.get(invoice_url(ws, first["invoice"]["code"]), headers=api.auth(key))
    expired = await resp.json()
    assert expired["status"] == "expired" and expired["code"] == "INV/2026/000001"
    assert second["invoice"]["code"] == "INV/2026/000002"


async def test_numbering_is_per_year_of_the_jakarta_date(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    clock.set(datetime(2026, 12, 31, 16, 59, tzinfo=timezone.utc))   # 23:59 in Jakarta
    assert (await topup(api, ws, key))["invoice"]["code"] == "INV/2026/000001"
    clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc))    # 1 January 2027, 00:00
    assert (await topup(api, ws, key))["invoice"]["code"] == "INV/2027/000001"
    assert (await topup(api, ws, key))["invoice"]["code"] == "INV/2027/000002"


async def test_a_number_taken_before_a_crash_is_written_later_without_a_gap(api):
    """The process died after the counter update and before the code write: the sweep gives
    the invoice the number it already took, and the next invoice continues from there."""
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    first = await topup(api, ws, key)
    invoice_id = (await svc.db.invoices.find_one({"code": first["invoice"]["code"]}))["_id"]
    orphan = {**await svc.db.invoices.find_one({"_id": invoice_id}), "_id": "inv_crashed",
              "code": None, "number": None, "settled": False, "rev": 0, "payment_id": None,
              "order": {"kind": "topup", "topup_id": "top_crashed", "balance": "conversation"}}
    await svc.db.invoices.insert_one(orphan)
    assert await numbering.take_number(svc.db, 2026, "inv_crashed") == 2   # then "crash"
    third = await topup(api, ws, key)
    assert third["invoice"]["code"] == "INV/2026/000003"
    summary = await settlement.sweep(svc, everything=True)
    assert summary["invoices_settled"] == 1
    recovered = await svc.db.invoices.find_one({"_id": "inv_crashed"})
    assert recovered["code"] == "INV/2026/000002" and recovered["settled"] is True
    assert await numbering.take_number(svc.db, 2026, "inv_crashed") == 2   # never a second one
    topups = await (await api.client.get(f"/v1/workspaces/{ws}/topups",
                                         headers=api.auth(key))).json()
    assert "INV/2026/000002" in [t["invoice_code"] for t in topups["topups"]]


async def test_an_invoice_without_a_number_gets_the_next_one_from_the_sweep(api):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    await topup(api, ws, key)
    template = await svc.db.invoices.find_one({})
    await svc.db.invoices.insert_one({**template, "_id": "inv_unnumbered", "code": None,
                                      "number": None, "settled": False, "rev": 0,
                                      "order": {"kind": "topup", "topup_id": "top_x",
                                                "balance": "broadcast"}})
    await asyncio.gather(settlement.sweep(svc, everything=True),
                         settlement.sweep(svc, everything=True))
    assert (await svc.db.invoices.find_one({"_id": "inv_unnumbered"}))["code"] == "INV/2026/000002"
    assert (await topup(api, ws, key))["invoice"]["code"] == "INV/2026/000003"
