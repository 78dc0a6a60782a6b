"""What an add-on or plan invoice says, in its JSON and its PDF text: a quantity increase bills
the units added at their prorated unit price (issue 9 item 10), and period dates are the
calendar dates in SALDO_TIMEZONE, not UTC dates (issue 9 item 12)."""
from tests.addon_helpers import (EXTRA_USER, addon_body, buy_and_pay, bought, create_addon,
                                 set_quantity)
from tests.helpers import PHONE_A
from tests.pdf_text import pdf_text as text_of
from tests.subscription_helpers import pay, post, wib

EN = {"Accept-Language": "en"}


async def pdf_text(api, ws: str, key: str, code: str) -> str:
    """The PDF's text as a reader sees it (whatever font the PDF embeds)."""
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}.pdf",
                                headers={**api.auth(key), **EN})
    assert resp.status == 200, await resp.text()
    return text_of(await resp.read())


async def increase(api, body: dict, at, quantity: int = 3) -> tuple[str, str, dict]:
    """A Growth workspace (Nov 21 → Dec 21, 30 days) holding 1 unit raised to `quantity` at
    `at` → (workspace, key, the 200 body with the increase's invoice)."""
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = await create_addon(api, body)
    await buy_and_pay(api, ws, key, addon["id"], 1)
    api.clock.set(at)
    resp = await set_quantity(api, ws, key, addon["id"], quantity)
    assert resp.status == 200, await resp.text()
    return ws, key, await resp.json()


async def test_a_quantity_increase_bills_the_units_added_at_their_prorated_unit_price(api):
    seat = addon_body("seat", display_name="Seat", periods={"monthly": {
        "currency": "IDR", "amount": 60_000}})
    ws, key, placed = await increase(api, seat, wib(2026, 12, 6, 10))   # 15 of 30 days left
    invoice = placed["invoice"]
    line, = invoice["lines"]
    # 1 → 3 charges 2 units for half a month: 2 × Rp30.000, not "3 × Rp20.000"
    assert (line["quantity"], line["unit_price"]["amount"], line["amount"]["amount"]) == (
        2, 30_000, 60_000)
    assert invoice["amount"]["amount"] == 60_000
    assert "Seat × 2" in line["description"] and "1 → 3" in line["description"]
    assert "× 3" not in line["description"]
    text = await pdf_text(api, ws, key, invoice["code"])
    assert "IDR 30,000" in text and "IDR 60,000" in text
    assert "IDR 20,000" not in text and "Seat × 3" not in text


async def test_an_increase_whose_prorated_amount_does_not_split_evenly_is_one_honest_line(api):
    # 1 → 3 with 10 of 30 days left: 2 × 49 000 / 3 = 32 666.67 → Rp32.667, one rounding;
    # 2 units cannot each cost the same whole rupiah, so the line is the prorated total
    ws, key, placed = await increase(api, EXTRA_USER, wib(2026, 12, 11, 10))
    invoice = placed["invoice"]
    line, = invoice["lines"]
    assert invoice["amount"]["amount"] == 32_667
    assert (line["quantity"], line["unit_price"]["amount"], line["amount"]["amount"]) == (
        1, 32_667, 32_667)
    assert "Additional User × 2" in line["description"]
    assert "1 → 3" in line["description"] and "total prorata" in line["description"]
    text = await pdf_text(api, ws, key, invoice["code"])
    assert "IDR 10,889" not in text and "IDR 32,667" in text     # not "3 × 10 889"
    assert "prorated total" in text


async def test_invoice_dates_are_the_calendar_dates_in_jakarta(api):
    # Created at 00:30 in Jakarta (17:30 UTC the day before): the periods run from the 31st
    api.clock.set(wib(2026, 12, 31, 0, 30))
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    purchase = await bought(api, ws, key, user["id"])
    assert "2026-12-31 – 2027-01-31" in purchase["invoice"]["lines"][0]["description"]
    await pay(api, purchase)
    api.clock.set(wib(2027, 1, 20, 10))
    resp = await post(api, ws, key, "change", {"plan": "growth", "period": "monthly"},
                      headers=EN)
    assert resp.status == 200, await resp.text()
    placed = await resp.json()
    invoice = placed["invoice"]
    assert invoice["package"] == "Growth plan (monthly) 2027-01-31 – 2027-02-28"
    assert [line["description"] for line in invoice["lines"]] == [
        "Growth plan (monthly) 2027-01-31 – 2027-02-28",
        "Add-on Additional User × 1 (monthly) 2027-01-31 – 2027-02-28"]
    text = await pdf_text(api, ws, key, invoice["code"])
    assert "2027-01-31" in text and "2027-02-28" in text
    assert "2027-01-30" not in text and "2027-02-27" not in text
    await pay(api, placed)
