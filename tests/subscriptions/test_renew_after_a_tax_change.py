"""Renew after the tax rate changed (issue 11 item 4 meets item 6): the renewal invoice issued
before the change (by the billing run, or an earlier Renew) is still open; Renew now answers
what the renewal preview shows, an invoice with the rate in force, and the PDF says the same.
The old invoice is cancelled (it can no longer be paid); paying the new one renews."""
from datetime import timedelta

from tests.conftest import START
from tests.helpers import PHONE_A, assert_reconciled, press_pay
from tests.invoices.test_invoice_tax import money, put_tax, rate, read_invoice, schedule
from tests.pdf_text import pdf_text
from tests.subscription_helpers import renew, run_due, subscription, wib

CHANGE_AT = START + timedelta(days=1)


async def test_renew_after_a_rate_change_invoices_the_rate_in_force_as_previewed(api, clock):
    await put_tax(api, schedule({"plan": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    before = (await renew(api, ws, key))["invoice"]
    assert before["amount"] == money(331_890)                       # 299.000 + PPN 11%
    clock.set(CHANGE_AT + timedelta(hours=1))
    await put_tax(api, schedule({"plan": rate(11)}), schedule({"plan": rate(12)}, start=CHANGE_AT))
    previewed = (await subscription(api, ws, key))["next_renewal"]["amount"]
    assert previewed == money(334_880)                              # 299.000 + PPN 12%
    after = await renew(api, ws, key)
    invoice = after["invoice"]
    assert (invoice["amount"], invoice["tax"]["tax_rate"]) == (previewed, "PPN 12%")
    assert invoice["code"] != before["code"]
    stored = await read_invoice(api, ws, key, invoice["code"])
    assert (stored["amount"], stored["tax"]["tax_amount"]) == (money(334_880), money(35_880))
    lines = pdf_text(await read_invoice(api, ws, key, invoice["code"], ".pdf")).splitlines()
    assert "PPN 12%" in lines and "Rp334.880" in lines and "Rp331.890" not in lines
    old = await read_invoice(api, ws, key, before["code"])
    assert (old["status"], old["payable"]) == ("cancelled", False)
    assert (await renew(api, ws, key))["invoice"]["code"] == invoice["code"]   # asked again
    assert (await press_pay(api, after["payment"]["id"])).status == 200
    await run_due(api, wib(2026, 12, 21, 10))
    shown = await subscription(api, ws, key)
    assert (shown["plan"], shown["current_period"]["start"][:10]) == ("growth", "2026-12-21")
    await assert_reconciled(api)


async def test_renew_without_a_rate_change_answers_the_open_invoice_again(api, clock):
    await put_tax(api, schedule({"plan": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    first = (await renew(api, ws, key))["invoice"]
    clock.set(CHANGE_AT)
    again = (await renew(api, ws, key))["invoice"]
    assert (again["code"], again["amount"]) == (first["code"], first["amount"])
