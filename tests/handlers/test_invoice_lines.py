"""What an add-on or plan invoice says, in its JSON and its PDF text: period dates are the
calendar dates in SALDO_TIMEZONE, not UTC dates (issue 9 item 12)."""
import io

from pypdf import PdfReader

from tests.addon_helpers import EXTRA_USER, bought, create_addon
from tests.helpers import PHONE_A
from tests.subscription_helpers import pay, post, wib

EN = {"Accept-Language": "en"}


async def pdf_text(api, ws: str, key: str, code: str) -> str:
    """The PDF's text as a reader sees it (whatever font the PDF embeds)."""
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}.pdf",
                                headers={**api.auth(key), **EN})
    assert resp.status == 200, await resp.text()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(await resp.read()))
                     .pages)


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
