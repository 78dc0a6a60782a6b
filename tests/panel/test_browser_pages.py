"""What an agency operator notices on the panel's pages in a real browser (Chromium), found by the
screenshots of bench/screenshots.py: an empty Create Add-on says in the page's language what to
fill in (not pydantic's English)."""
from __future__ import annotations

from playwright.async_api import expect

from tests.panel.test_browser_addons import sign_in
from tests.helpers import ADMIN_TOKEN

# What an operator must never read: pydantic's own English and its patterns.
DEVELOPER_TEXT = ("should", "String", "Input", "pattern", "^[")


async def test_an_empty_create_addon_says_what_to_fill_in_in_each_language(api, page):
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("link", name="Buat Add-on").click()
    await page.get_by_role("button", name="Simpan Add-on").click()
    await expect(page.locator("#err-name")).to_have_text(
        "Isi nama internal: huruf kecil, angka, titik dan tanda hubung, misalnya wa-conv-1000.")
    await expect(page.locator("#err-display_name")).to_have_text(
        "Isi nama yang dilihat pelanggan.")
    await expect(page.locator("#err-type")).to_have_text("Pilih tipe add-on.")
    errors = " ".join(await page.locator(".error").all_inner_texts())
    assert not [word for word in DEVELOPER_TEXT if word in errors], errors

    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Create Add-on").wait_for()
    await page.get_by_role("button", name="Save Add-on").click()
    await expect(page.locator("#err-name")).to_have_text(
        "Fill in the internal name: lowercase letters, digits, dots and dashes, for example "
        "wa-conv-1000.")
    await expect(page.locator("#err-display_name")).to_have_text(
        "Fill in the name customers see.")
    await expect(page.locator("#err-type")).to_have_text("Choose the add-on type.")
    errors = " ".join(await page.locator(".error").all_inner_texts())
    assert not [word for word in DEVELOPER_TEXT if word in errors], errors
