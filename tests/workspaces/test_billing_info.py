"""Billing information (issue 11 item 5): validated per field, required exactly before the
orders the help pages name, printed as the buyer on invoices issued after it was filled."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.addon_helpers import EXTRA_USER, buy, create_addon, create_reseller, \
    reseller_workspace
from tests.helpers import (BILLING_INFO, PHONE_A, PHONE_B, Api, fill_billing_info, topup)
from tests.pdf_text import pdf_text
from tests.subscription_helpers import post

EMPTY = {"legal_name": "", "billing_email": "", "phone": "", "address": "", "npwp": "",
         "complete": False,
         "missing": ["legal_name", "billing_email", "phone", "address", "npwp"]}


def info_url(ws: str) -> str:
    return f"/v1/workspaces/{ws}/billing-info"


async def put(api: Api, ws: str, key: str, body: dict):
    return await api.client.put(info_url(ws), json=body, headers=api.auth(key))


async def test_a_new_workspace_has_none_and_a_full_form_completes_it(api):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    resp = await api.client.get(info_url(ws), headers=api.auth(key))
    assert resp.status == 200 and await resp.json() == EMPTY
    filled = await fill_billing_info(api, ws, key, npwp="0123.4567-8901.2345")
    assert filled == {**BILLING_INFO, "npwp": "0123456789012345", "complete": True,
                      "missing": []}
    resp = await api.client.get(info_url(ws), headers=api.auth(key))
    assert await resp.json() == filled


@pytest.mark.parametrize("field,value", [
    ("npwp", "12.345.678"), ("npwp", "01.234.567.8-901.00012"), ("npwp", "0123456789O1000"),
    ("npwp", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤"), ("billing_email", "finance at tokobudi"),
    ("phone", "call me"), ("legal_name", "PT\nDua Baris"), ("legal_name", "x" * 201),
    ("address", 12)])
async def test_bad_values_are_422_on_their_field(api, field, value):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    resp = await put(api, ws, key, {**BILLING_INFO, field: value})
    error = (await resp.json())["error"]
    assert (resp.status, error["field"]) == (422, field), error
    assert (await (await api.client.get(info_url(ws), headers=api.auth(key))).json()) == EMPTY


async def test_unknown_fields_and_other_tenants_are_refused(api):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    other_ws, other_key = await api.create_workspace([PHONE_B])
    resp = await put(api, ws, key, {**BILLING_INFO, "nik": "1"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "nik"
    assert (await put(api, ws, other_key, BILLING_INFO)).status == 404
    assert (await api.client.get(info_url(ws), headers=api.auth(other_key))).status == 404


async def test_the_reseller_fills_it_for_its_customer(api):
    _, reseller_key = await create_reseller(api)
    resp = await api.client.post("/v1/workspaces", headers=api.auth(reseller_key), json={
        "name": "Toko", "phone_number_ids": [PHONE_A]})
    ws = (await resp.json())["workspace"]["id"]
    assert (await put(api, ws, reseller_key, BILLING_INFO)).status == 200
    ws2, _ = await reseller_workspace(api, reseller_key, PHONE_B)   # (fills it too)
    assert (await api.client.get(info_url(ws2), headers=api.auth(reseller_key))).status == 200


async def assert_incomplete(resp, missing: list[str]) -> None:
    error = (await resp.json())["error"]
    assert (resp.status, error["code"], error["details"]["missing"]) == (
        409, "billing_info_incomplete", missing), error


async def test_required_for_plan_changes_renewals_and_addon_purchases_only(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth", billing_info=False)
    await put(api, ws, key, {"legal_name": "PT Toko Budi", "npwp": "012345678901000"})
    missing = ["billing_email", "phone", "address"]
    await assert_incomplete(await post(api, ws, key, "change", {"plan": "pro",
                                                                 "period": "monthly"}), missing)
    await assert_incomplete(await post(api, ws, key, "renew"), missing)
    addon = await create_addon(api, EXTRA_USER)
    await assert_incomplete(await buy(api, ws, key, addon["id"]), missing)
    # not needed: a top-up, a switch to Free, a cancel
    assert (await topup(api, ws, key, "conversation", 50_000))["invoice"]["code"]
    assert (await post(api, ws, key, "change", {"plan": "free", "period": "monthly"})).status \
        == 200
    assert (await post(api, ws, key, "cancel")).status == 200
    await fill_billing_info(api, ws, key)
    assert (await post(api, ws, key, "change", {"plan": "pro", "period": "monthly"})).status \
        == 200
    assert (await buy(api, ws, key, addon["id"])).status == 201


async def test_invoices_issued_after_it_was_filled_print_it_and_earlier_ones_never_change(
        api):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    before = (await topup(api, ws, key, "conversation", 50_000))["invoice"]
    assert before["buyer"]["name"] == "Toko Budi" and before["buyer"]["tax_id"] == ""
    await fill_billing_info(api, ws, key)
    after = (await topup(api, ws, key, "conversation", 20_000))["invoice"]
    assert after["buyer"] == {"workspace_id": ws, "name": "PT Toko Budi Sejahtera",
                              "address": "Jl. Sudirman 1\nJakarta 10220",
                              "tax_id": "012345678901000", "email": "finance@tokobudi.id",
                              "phone": "+62 21 555 0100"}
    await fill_billing_info(api, ws, key, legal_name="PT Budi Baru")
    for invoice, name in ((before, "Toko Budi"), (after, "PT Toko Budi Sejahtera")):
        url = f"/v1/workspaces/{ws}/invoices/{quote(invoice['code'], safe='')}"
        shown = await (await api.client.get(url, headers=api.auth(key))).json()
        assert shown["buyer"] == invoice["buyer"]
        pdf = pdf_text(await (await api.client.get(url + ".pdf", headers=api.auth(key))).read())
        assert name in pdf.splitlines() and "PT Budi Baru" not in pdf
    pdf = pdf_text(await (await api.client.get(
        f"/v1/workspaces/{ws}/invoices/{quote(after['code'], safe='')}.pdf",
        headers=api.auth(key))).read()).splitlines()
    for needle in ("Jakarta 10220", "finance@tokobudi.id", "NPWP: 012345678901000"):
        assert needle in pdf, needle
