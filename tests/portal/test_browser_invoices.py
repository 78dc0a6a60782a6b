"""Invoices in a real browser (Chromium) on a phone: the table, a filter by status, an invoice's
page, its PDF as a real download (a PDF naming the invoice's code); Indonesian, then English;
no sideways scrolling on any screen."""
from __future__ import annotations

from playwright.async_api import expect

from tests.browser import no_horizontal_scroll
from tests.helpers import PHONE_A, press_pay, topup
from tests.pdf_text import pdf_text


async def test_filter_open_and_download_an_invoice_on_a_phone(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    paid = await topup(api, ws, key, amount=100_000)
    await press_pay(api, paid["payment"]["id"])
    pending = (await topup(api, ws, key, "broadcast", 50_000))["invoice"]
    code = paid["invoice"]["code"]
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(key))
    await page.goto((await resp.json())["url"])
    await page.get_by_role("link", name="Faktur", exact=True).click()
    table = page.locator("table.inv-table")
    await expect(table.locator("tbody tr")).to_have_count(2)
    assert await no_horizontal_scroll(page)

    await page.get_by_label("Status").select_option("paid")
    await page.get_by_role("button", name="Terapkan").click()
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table).to_contain_text(code)
    await expect(table).not_to_contain_text(pending["code"])
    await expect(table).to_contain_text("Lunas")
    assert await no_horizontal_scroll(page)

    await table.get_by_role("link", name="Lihat Detail").click()
    await page.get_by_role("heading", name=f"Faktur {code}").wait_for()
    await expect(page.locator("table.inv-lines")).to_contain_text("Rp100.000")
    assert await no_horizontal_scroll(page)
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Unduh PDF").click()
    download = await waiting.value
    assert download.suggested_filename == code.replace("/", "-") + ".pdf"
    body = open(await download.path(), "rb").read()
    assert body.startswith(b"%PDF") and code in pdf_text(body)

    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name=f"Invoice {code}").wait_for()
    await expect(page.locator(".summary").first).to_contain_text("Paid")
    await page.get_by_role("link", name="Back to Invoices").click()
    await expect(page.locator("table.inv-table")).to_contain_text("View Details")
    await expect(page.locator("table.inv-table")).to_contain_text("IDR 100,000")
    assert await no_horizontal_scroll(page)
