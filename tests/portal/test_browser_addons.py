"""Buying and stopping an add-on in a real browser (Chromium) on a phone: Buy Add-ons → Add →
➕ to 2 (the summary recomputed by the server without a reload) → Continue To Payment → the
sandbox checkout's Pay → back to Saldo → listed; Stop → its dialog → Yes, Stop → shown as
stopping at the period end; in English, Keep undoes it."""
from __future__ import annotations

from playwright.async_api import expect

from tests.addon_helpers import EXTRA_USER, create_addon, held
from tests.browser import no_horizontal_scroll
from tests.helpers import PHONE_A
from tests.previews.preview_helpers import preview


async def test_buy_an_addon_with_two_units_then_stop_it_at_the_period_end(api, page):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(key))
    await page.goto((await resp.json())["url"])
    await page.get_by_role("link", name="Add-on", exact=True).click()
    await page.get_by_text("Anda belum punya add-on.").wait_for()
    assert await no_horizontal_scroll(page)

    await page.get_by_role("link", name="Beli Add-on").click()
    await page.get_by_role("heading", name="Beli Add-on").wait_for()
    assert await no_horizontal_scroll(page)
    await page.get_by_role("link", name="Tambah Additional User").click()
    await page.get_by_role("heading", name="Ringkasan Pesanan").wait_for()
    await page.evaluate("window.notReloaded = true")
    await page.get_by_role("button", name="Tambah satu").click()                    # ➕
    await expect(page.locator("#quantity")).to_have_value("2")
    two = await preview(api, ws, key, "addon_purchase", addon_id=user["id"], quantity=2)
    await expect(page.locator("#order-total")).to_have_text(two["totals"][0]["formatted"])
    assert await page.evaluate("window.notReloaded === true")     # swapped in by htmx
    assert await no_horizontal_scroll(page)

    await page.get_by_role("button", name="Lanjutkan ke Pembayaran").click()
    await page.get_by_role("button", name="Bayar").click()
    await page.get_by_text("Pembayaran berhasil").wait_for()
    await page.get_by_role("link", name="Kembali ke Saldo").click()
    await page.get_by_role("heading", name="Pembayaran diterima").wait_for()
    await page.get_by_role("link", name="Lanjutkan").click()
    row = page.get_by_role("row").filter(has_text="Additional User")
    await expect(row).to_contain_text("2")
    await expect(row).to_contain_text("Aktif")
    assert await no_horizontal_scroll(page)

    await page.get_by_role("link", name="Hentikan Additional User").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("21 Des 2026")
    assert await no_horizontal_scroll(page)
    await dialog.get_by_role("button", name="Ya, Hentikan").click()
    await expect(row).to_contain_text("Berhenti pada 21 Des 2026")
    assert (await held(api, ws, key))[user["id"]]["stops_at_period_end"] is True
    assert await no_horizontal_scroll(page)

    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Manage Add-ons").wait_for()
    await expect(row).to_contain_text("Stops on 21 Dec 2026")
    await row.get_by_role("button", name="Keep it").click()
    await expect(row).to_contain_text("Active")
    assert (await held(api, ws, key))[user["id"]]["stops_at_period_end"] is False
    assert await no_horizontal_scroll(page)
