"""Invoice PDFs print what customers type (issue 9 item 11): curly quotes, dashes and CJK come
out as themselves, from the fonts shipped in service/invoices/fonts/ (no "?")."""
from tests.addon_helpers import addon_body, bought, create_addon
from tests.helpers import ADMIN_TOKEN, PHONE_A, fill_billing_info, topup
from tests.pdf_text import pdf_text

NAME = "Warung “Bu Siti” — 北京"


async def _pdf(api, ws: str, key: str, code: str, lang: str) -> str:
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}.pdf",
                                headers={**api.auth(key), "Accept-Language": lang})
    assert resp.status == 200, await resp.text()
    return pdf_text(await resp.read())


async def test_the_pdf_prints_a_non_latin_name_and_the_period_dash_exactly(api):
    resp = await api.client.post("/v1/workspaces", headers=api.auth(ADMIN_TOKEN), json={
        "name": NAME, "phone_number_ids": [PHONE_A]})
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    ws, key = created["workspace"]["id"], created["api_key"]
    await fill_billing_info(api, ws, key, legal_name=NAME)
    addon = await create_addon(api, addon_body("extra-user"))
    invoice = (await bought(api, ws, key, addon["id"]))["invoice"]
    for lang in ("id", "en"):
        text = await _pdf(api, ws, key, invoice["code"], lang)
        assert NAME in text.splitlines()
        lines = (await (await api.client.get(
            f"/v1/workspaces/{ws}/invoices/{invoice['code']}",
            headers={**api.auth(key), "Accept-Language": lang})).json())["lines"]
        assert "–" in lines[0]["description"]           # the period label's en dash …
        assert lines[0]["description"] in text          # … printed as itself
        assert "?" not in text


async def test_a_latin_invoice_still_reads_the_same(api):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    code = (await topup(api, ws, key))["invoice"]["code"]
    text = await _pdf(api, ws, key, code, "en")
    for line in ("INVOICE", "Toko Budi", "IDR 50,000", code):
        assert line in text.splitlines(), line
