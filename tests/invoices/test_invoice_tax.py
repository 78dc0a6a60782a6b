"""PPN on invoices (issue 11, item 4): the admin's tax schedules (`/v1/admin/tax`), the invoice's
tax block, what the customer pays and what the wallet gets, the PDF, exempt add-ons, rate
changes, and the default (no tax)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.addon_helpers import ADMIN, addon_body, bought, create_addon
from tests.conftest import START
from tests.invoices.test_invoices import invoice_url
from tests.helpers import (PHONE_A, app_services, assert_reconciled, payment_callback,
                           post_payment_callback, press_pay, topup)
from tests.pdf_text import pdf_text

SELLER_NPWP = "01.234.567.8-901.000"
BUYER_NPWP = "0987654321098765"


def rate(numerator: int, denominator: int = 100, base: tuple[int, int] = (1, 1)) -> dict:
    return {"name": "PPN", "rate": {"numerator": numerator, "denominator": denominator},
            "base": {"numerator": base[0], "denominator": base[1]}}


def schedule(rates: dict, inclusive: bool = False, start=START - timedelta(days=1)) -> dict:
    return {"effective_from": start.isoformat(), "prices_include_tax": inclusive, "rates": rates}


async def put_tax(api, *schedules: dict, seller_tax_id: str = SELLER_NPWP, status: int = 200):
    resp = await api.client.put("/v1/admin/tax", json={"seller_tax_id": seller_tax_id,
                                                       "schedules": list(schedules)},
                                headers=ADMIN)
    assert resp.status == status, await resp.text()
    return await resp.json()


def money(amount: int) -> dict:
    return {"amount": amount, "currency": "IDR", "formatted": f"Rp{amount:,}".replace(",", ".")}


async def read_invoice(api, ws: str, key: str, code: str, suffix: str = ""):
    resp = await api.client.get(invoice_url(ws, code, suffix), headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.read() if suffix else await resp.json()


async def test_ppn_11_percent_exclusive_on_a_topup_is_paid_with_tax_and_credits_the_price(api):
    await put_tax(api, schedule({"topup": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key, "conversation", 100_000)
    invoice = placed["invoice"]
    assert invoice["amount"] == money(111_000)
    assert invoice["package"] == "Top-up saldo percakapan WhatsApp Rp100.000"   # before tax
    assert invoice["tax"] == {"subtotal": money(100_000), "tax_base": money(100_000),
                              "tax_rate": "PPN 11%", "tax_amount": money(11_000),
                              "total": money(111_000), "prices_include_tax": False}
    assert invoice["seller"]["tax_id"] == "012345678901000"
    assert placed["topup"]["amount"]["amount"] == 100_000
    # the provider is asked for the total: a callback of the price alone is refused
    payment_id = placed["payment"]["id"]
    short = await post_payment_callback(api, payment_callback(payment_id, amount=100_000))
    assert short.status == 422 and (await short.json())["error"]["code"] == \
        "payment_amount_mismatch"
    paid = await post_payment_callback(api, payment_callback(payment_id, amount=111_000))
    assert paid.status == 200, await paid.text()
    assert (await api.amounts(ws, key))["conversation"] == (15_000, 100_000, 0)
    await assert_reconciled(api)
    # the buyer's NPWP comes from billing information (issue 11, item 5) into `buyer.tax_id`
    await app_services(api).db.invoices.update_one({"code": invoice["code"]},
                                                   {"$set": {"buyer.tax_id": BUYER_NPWP}})
    lines = pdf_text(await read_invoice(api, ws, key, invoice["code"], ".pdf")).splitlines()
    for needle in ("Subtotal", "Rp100.000", "Dasar Pengenaan Pajak", "Tarif pajak", "PPN 11%",
                   "Pajak", "Rp11.000", "Total", "Rp111.000", "NPWP: 012345678901000",
                   f"NPWP: {BUYER_NPWP}"):
        assert needle in lines, needle


async def test_inclusive_prices_take_the_tax_out_and_the_wallet_gets_the_rest(api):
    await put_tax(api, schedule({"topup": rate(11)}, inclusive=True))
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key, "broadcast", 100_000)
    tax = placed["invoice"]["tax"]
    # 100.000 × 11/111 = 9.909,9… → 9.910 (half-up once); 90.090 + 9.910 = 100.000 exactly
    assert (tax["subtotal"], tax["tax_amount"], tax["total"]) == \
        (money(90_090), money(9_910), money(100_000))
    assert placed["invoice"]["amount"] == money(100_000)
    await press_pay(api, placed["payment"]["id"])
    assert (await api.amounts(ws, key))["broadcast"] == (0, 90_090, 0)
    await assert_reconciled(api)


async def test_ppn_12_percent_on_a_base_of_11_12_on_a_plan_invoice(api):
    await put_tax(api, schedule({"plan": rate(12, base=(11, 12))}))
    resp = await api.client.post("/v1/workspaces", json={
        "name": "Toko Budi", "phone_number_ids": [PHONE_A], "plan": "growth"}, headers=ADMIN)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    # Rp299.000: DPP 299.000 × 11/12 = 274.083,3 → 274.083; PPN 12% of the exact DPP = 32.890
    assert body["invoice"]["tax"] == {
        "subtotal": money(299_000), "tax_base": money(274_083),
        "tax_rate": "PPN 12% × 11/12", "tax_amount": money(32_890), "total": money(331_890),
        "prices_include_tax": False}
    assert body["invoice"]["amount"] == money(331_890)
    await press_pay(api, body["payment"]["id"])
    subscription = await api.client.get(f"/v1/workspaces/{body['workspace']['id']}/subscription",
                                        headers=api.auth(body["api_key"]))
    assert (await subscription.json())["plan"] == "growth"
    await assert_reconciled(api)


async def test_an_exempt_addon_has_no_tax_and_a_taxed_one_has(api):
    await put_tax(api, schedule({"addon": rate(11), "plan": rate(11)}))
    exempt = await create_addon(api, addon_body("exempt-user", tax_exempt=True))
    taxed = await create_addon(api, addon_body("taxed-user"))
    assert exempt["tax_exempt"] is True and taxed["tax_exempt"] is False
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    free_of_tax = (await bought(api, ws, key, exempt["id"]))["invoice"]
    assert free_of_tax["tax"] is None
    assert free_of_tax["amount"] == free_of_tax["lines"][0]["amount"]
    with_tax = (await bought(api, ws, key, taxed["id"]))["invoice"]
    price = with_tax["lines"][0]["amount"]["amount"]
    assert with_tax["tax"]["tax_amount"]["amount"] == (price * 11 + 50) // 100
    assert with_tax["amount"]["amount"] == price + with_tax["tax"]["tax_amount"]["amount"]


async def test_tax_exempt_is_validated_and_patched_on_the_catalog(api):
    addon = await create_addon(api, addon_body("some-user"))
    bad = await api.client.patch(f"/v1/admin/addons/{addon['id']}", json={"tax_exempt": "yes"},
                                 headers=ADMIN)
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "tax_exempt"
    ok = await api.client.patch(f"/v1/admin/addons/{addon['id']}", json={"tax_exempt": True},
                                headers=ADMIN)
    assert ok.status == 200 and (await ok.json())["tax_exempt"] is True


async def test_a_rate_change_applies_only_to_invoices_issued_after_it(api, clock):
    change_at = START + timedelta(hours=1)
    await put_tax(api, schedule({"topup": rate(11)}),
                  schedule({"topup": rate(12)}, start=change_at))
    ws, key = await api.create_workspace([PHONE_A])
    before = (await topup(api, ws, key, "conversation", 100_000))["invoice"]
    clock.set(change_at)
    after = (await topup(api, ws, key, "conversation", 100_000))["invoice"]
    assert (before["amount"], after["amount"]) == (money(111_000), money(112_000))
    # the admin rewrites the past: issued invoices keep the tax they were issued with
    await put_tax(api, schedule({"topup": rate(10)}))
    again = await read_invoice(api, ws, key, before["code"])
    assert (again["amount"], again["tax"]["tax_amount"]) == (money(111_000), money(11_000))
    assert (await topup(api, ws, key, "conversation", 100_000))["invoice"]["amount"] == \
        money(110_000)


async def test_without_configuration_invoices_have_no_tax(api):
    resp = await api.client.get("/v1/admin/tax", headers=ADMIN)
    assert await resp.json() == {"seller_tax_id": "", "schedules": []}
    ws, key = await api.create_workspace([PHONE_A])
    invoice = (await topup(api, ws, key, "conversation", 100_000))["invoice"]
    assert invoice["tax"] is None and invoice["amount"] == money(100_000)
    # a schedule that has not begun yet changes nothing either
    await put_tax(api, schedule({"topup": rate(11)}, start=START + timedelta(days=1)))
    invoice = (await topup(api, ws, key, "conversation", 100_000))["invoice"]
    assert invoice["tax"] is None and invoice["amount"] == money(100_000)


async def test_what_get_returns_put_accepts_back(api):
    saved = await put_tax(api, schedule({"plan": rate(12, base=(11, 12))}, inclusive=True,
                                        start=START + timedelta(days=30)),
                          schedule({"topup": rate(11)}))
    assert [s["effective_from"] for s in saved["schedules"]] == sorted(
        s["effective_from"] for s in saved["schedules"])
    got = await (await api.client.get("/v1/admin/tax", headers=ADMIN)).json()
    assert got == saved
    again = await api.client.put("/v1/admin/tax", json=got, headers=ADMIN)
    assert again.status == 200 and await again.json() == saved


@pytest.mark.parametrize("body, field", [
    ({"schedules": [schedule({"topup": rate(12, 10)})]}, "schedules.0.rates.topup.rate"),
    ({"schedules": [schedule({"topup": rate(11, base=(0, 12))})]},
     "schedules.0.rates.topup.base"),
    ({"schedules": [schedule({"wallet": rate(11)})]}, "schedules.0.rates.wallet"),
    ({"schedules": [schedule({}), schedule({})]}, "schedules.1.effective_from"),
    ({"seller_tax_id": "12345"}, "seller_tax_id"),
])
async def test_bad_tax_configuration_is_refused_with_its_field(api, body, field):
    resp = await api.client.put("/v1/admin/tax", json=body, headers=ADMIN)
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert error["field"] == field and error["code"] == "validation_error"


async def test_the_tax_routes_and_the_invoice_tax_are_in_openapi(api):
    doc = await (await api.client.get("/openapi.json")).json()
    assert {"get", "put"} <= set(doc["paths"]["/v1/admin/tax"])
    assert "tax" in doc["components"]["schemas"]["InvoiceOut"]["properties"]
    assert "tax_exempt" in doc["components"]["schemas"]["AddonIn"]["properties"]
