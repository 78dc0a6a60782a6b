"""The agency panel's resellers and workspaces in a real browser (Chromium) at a phone's width:
a reseller signs in, creates a workspace (its key shown once) and opens its customer portal;
the admin creates a reseller and sees its key once (English)."""
from __future__ import annotations

from tests.addon_helpers import create_reseller
from tests.browser import no_horizontal_scroll
from tests.helpers import ADMIN_TOKEN, PHONE_C


async def _sign_in(api, page, key: str) -> None:
    await page.goto(str(api.client.make_url("/panel/signin")))
    await page.get_by_label("Kunci API").fill(key)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_role("heading", name="Panel Agensi").wait_for()


async def test_a_reseller_creates_a_workspace_and_opens_its_portal(api, page):
    _rid, key = await create_reseller(api)
    await _sign_in(api, page, key)
    await page.get_by_role("link", name="Workspace", exact=True).first.click()
    await page.get_by_text("Tidak ada workspace yang ditemukan.").wait_for()
    assert await no_horizontal_scroll(page)
    await page.get_by_text("Buat workspace").first.click()         # the <details> summary
    await page.get_by_label("Nama pelanggan").fill("Toko Sinar Jaya")
    await page.get_by_label("ID nomor telepon WhatsApp").fill(PHONE_C)
    await page.get_by_role("button", name="Buat workspace").click()
    key_box = page.locator("#new-key")
    await key_box.wait_for()
    assert (await key_box.text_content()).startswith("sk_ws_")
    assert await page.get_by_role("button", name="Salin").count() == 1
    assert await no_horizontal_scroll(page)
    await page.get_by_role("link", name="Buka workspace").click()
    await page.get_by_role("heading", name="Tetapkan Add-on").wait_for()
    assert await no_horizontal_scroll(page)
    await page.get_by_role("button", name="Buka portal pelanggan sebagai workspace ini").click()
    await page.locator(".brand .ws").get_by_text("Toko Sinar Jaya").wait_for()
    assert page.url.endswith("/portal")
    assert await no_horizontal_scroll(page)


async def test_the_admin_creates_a_reseller_and_sees_its_key_once(api, page):
    await _sign_in(api, page, ADMIN_TOKEN)
    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Agency Panel").wait_for()
    await page.get_by_role("link", name="Resellers", exact=True).first.click()
    await page.get_by_text("No resellers yet.").wait_for()
    await page.get_by_label("Reseller's name").fill("Mitra Sejahtera")
    await page.get_by_role("button", name="Create reseller").click()
    key_box = page.locator("#new-key")
    await key_box.wait_for()
    key = await key_box.text_content()
    assert key.startswith("sk_rs_")
    assert await page.get_by_role("button", name="Copy").count() == 1
    assert await no_horizontal_scroll(page)
    await page.goto(str(api.client.make_url("/panel/resellers")))
    await page.get_by_role("link", name="Workspaces of Mitra Sejahtera").wait_for()
    assert key not in await page.content()                          # shown once
    assert await no_horizontal_scroll(page)
