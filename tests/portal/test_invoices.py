"""The portal's Invoices screen (issue 12, screen 7) and Credit and tax (screen 10): the table
the help pages list, filters by type and status, empty states, an invoice's page with its lines
(tax, credit applied, buyer), Pay for a pending invoice (placed once), the API's PDF as a
download; another workspace's invoice is not found; account credit and its history."""
from __future__ import annotations

import re

from tests.credit.test_account_credit import with_credit
from tests.helpers import PHONE_A, PHONE_B, press_pay, topup
from tests.invoices.test_invoice_tax import put_tax, rate, schedule
from tests.pdf_text import pdf_text


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def _two_topups(api, ws: str, key: str) -> tuple[dict, dict]:
    """(a paid top-up's invoice, a pending one's)."""
    paid = await topup(api, ws, key, amount=100_000)
    await press_pay(api, paid["payment"]["id"])
    pending = await topup(api, ws, key, "broadcast", 50_000)
    return paid["invoice"], pending["invoice"]


async def test_the_table_lists_every_invoice_and_filters_by_status_and_type(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    page = _text((await browser.get("/portal/invoices"))[1])
    assert "Belum ada faktur." in page
    paid, pending = await _two_topups(api, ws, key)
    status, html = await browser.get("/portal/invoices")
    page = _text(html)
    assert status == 200
    for heading in ("Kode Faktur", "Jenis Faktur", "Tanggal Permintaan", "Paket", "Jumlah",
                    "Status", "Lihat Detail", "Unduh PDF"):
        assert heading in page
    assert paid["code"] in page and pending["code"] in page
    assert "Lunas" in page and "Menunggu pembayaran" in page and "Rp100.000" in page
    assert f'href="/portal/invoices/{paid["code"]}.pdf"' in html
    page = _text((await browser.get("/portal/invoices?status=paid"))[1])
    assert paid["code"] in page and pending["code"] not in page
    page = _text((await browser.get("/portal/invoices?type=renewal"))[1])
    assert paid["code"] not in page and "Tidak ada faktur yang cocok" in page
    status, html = await browser.get("/portal/invoices?status=bogus")
    assert status == 400 and paid["code"] in html
    status, html = await browser.get("/portal/invoices?cursor=bogus")
    assert status == 400 and "Tautan halaman ini tidak valid" in html


async def test_an_invoice_page_shows_its_lines_tax_and_buyer_in_english(api, portal):
    await put_tax(api, schedule({"topup": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A])
    invoice = (await topup(api, ws, key, amount=100_000))["invoice"]
    browser = await portal(ws, key, locale="en")
    status, html = await browser.get(f"/portal/invoices/{invoice['code']}")
    page = _text(html)
    assert status == 200
    assert "Top-up" in page and "Waiting for payment" in page
    assert "Subtotal IDR 100,000" in page and "PPN 11% IDR 11,000" in page
    assert "Total IDR 111,000" in page
    assert "PT Toko Budi Sejahtera" in page
    assert 'action="/portal/invoices/%s/pay"' % invoice["code"] in html


async def test_pay_later_opens_the_payment_once_and_a_paid_invoice_has_no_pay(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    invoice = (await topup(api, ws, key))["invoice"]
    browser = await portal(ws, key)
    path = f"/portal/invoices/{invoice['code']}/pay"
    refused = await browser.post(path, {"idem": "x"}, csrf=False)
    assert refused[0] == 403
    status, _, where = await browser.post(path, {"idem": "pay-1"})
    assert status == 303 and where.startswith("/sandbox/checkout/")
    again = await browser.post(path, {"idem": "pay-1"})
    assert again[2] == where
    await press_pay(api, where.rsplit("/", 1)[1])
    html = (await browser.get(f"/portal/invoices/{invoice['code']}"))[1]
    assert "Lunas" in _text(html) and f'action="{path}"' not in html
    status, html, _ = await browser.post(path, {"idem": "pay-2"})
    assert status == 422 and "Faktur ini tidak dapat dibayar lagi." in _text(html)


async def test_the_pdf_downloads_and_another_workspaces_invoice_is_not_found(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    other_ws, other_key = await api.create_workspace([PHONE_B])
    invoice = (await topup(api, ws, key))["invoice"]
    browser = await portal(ws, key)
    async with browser.http.get(browser.url(f"/portal/invoices/{invoice['code']}.pdf")) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        name = invoice["code"].replace("/", "-") + ".pdf"
        assert resp.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert invoice["code"] in pdf_text(await resp.read())
    stranger = await portal(other_ws, other_key)
    for suffix in ("", ".pdf"):
        status, html = await stranger.get(f"/portal/invoices/{invoice['code']}{suffix}")
        assert status == 404 and "Tidak ditemukan." in html
    assert (await stranger.post(f"/portal/invoices/{invoice['code']}/pay", {"idem": "s"}))[0] \
        == 404
    assert (await stranger.get("/portal/invoices/not-a-code"))[0] == 404


async def test_credit_shows_the_balance_and_its_history(api, portal):
    plain_ws, plain_key = await api.create_workspace([PHONE_B])
    page = _text((await (await portal(plain_ws, plain_key)).get("/portal/credit"))[1])
    assert "Rp0" in page and "Belum ada kredit akun." in page
    ws, key = await with_credit(api)
    invoice = (await topup(api, ws, key, amount=50_000))["invoice"]   # uses the Rp49.000
    browser = await portal(ws, key)
    status, html = await browser.get("/portal/credit")
    page = _text(html)
    assert status == 200 and "Kredit akun" in page
    assert "Kredit ditambahkan" in page and "Rp49.000" in page
    assert "Digunakan pada faktur" in page and "-Rp49.000" in page
    detail = _text((await browser.get(f"/portal/invoices/{invoice['code']}"))[1])
    assert "Kredit akun digunakan" in detail and "Total Rp1.000" in detail


async def test_older_invoices_are_a_page_away_and_keep_the_filter(api, portal, monkeypatch):
    monkeypatch.setattr("handlers.portal.invoices.PAGE", 1)
    ws, key = await api.create_workspace([PHONE_A])
    paid, pending = await _two_topups(api, ws, key)
    other = (await topup(api, ws, key, amount=75_000))["invoice"]
    browser = await portal(ws, key)
    html = (await browser.get("/portal/invoices?status=pending"))[1]
    first = [c for c in (pending["code"], other["code"]) if c in html]
    assert len(first) == 1 and paid["code"] not in html
    older = re.search(r'href="(/portal/invoices\?[^"]*cursor=[^"]+)"', html).group(1)
    assert "status=pending" in older
    html = (await browser.get(older.replace("&amp;", "&")))[1]
    second = [c for c in (pending["code"], other["code"]) if c in html]
    assert len(second) == 1 and second != first and paid["code"] not in html
    assert "Menunggu pembayaran" in html and "Terbaru" in html
