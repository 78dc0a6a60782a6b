"""WhatsApp Balance in a real browser (Chromium) on a phone: a wrong amount shows its error at
the field, a Rp50.000 top-up goes through the sandbox checkout and back, the balance and the
Top-up History show it; the usage history filters; Indonesian and English, no sideways
scrolling on any screen."""
from __future__ import annotations

from playwright.async_api import expect

from tests.browser import no_horizontal_scroll
from tests.helpers import PHONE_A


async def test_top_up_fifty_thousand_and_read_the_history_on_a_phone(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(key))
    await page.goto((await resp.json())["url"])
    await page.get_by_role("link", name="Saldo WhatsApp").click()
    conversation = page.locator("#balance-conversation")
    await expect(conversation).to_contain_text("Rp15.000")
    await expect(conversation).to_contain_text("sekitar 500 balasan")
    assert await no_horizontal_scroll(page)

    await conversation.get_by_role("link", name="Top Up").click()
    amount = page.get_by_label("Jumlah (Rp)")
    await amount.fill("5000")
    await page.get_by_role("button", name="Lanjutkan ke Pembayaran").click()
    await expect(page.locator("#topup-amount-error")).to_have_text(
        "Top up terkecil untuk saldo ini Rp10.000.")
    await expect(page.get_by_label("Jumlah (Rp)")).to_have_attribute("aria-invalid", "true")
    assert await no_horizontal_scroll(page)

    await page.get_by_role("link", name="Rp50.000").click()
    await expect(page.get_by_label("Jumlah (Rp)")).to_have_value("50000")
    await page.get_by_role("button", name="Lanjutkan ke Pembayaran").click()
    await page.get_by_role("button", name="Bayar").click()              # the sandbox checkout
    await page.get_by_text("Pembayaran berhasil").wait_for()
    await page.get_by_role("link", name="Kembali ke Saldo").click()
    await page.get_by_role("heading", name="Pembayaran diterima").wait_for()
    assert await no_horizontal_scroll(page)
    await page.get_by_role("link", name="Lanjutkan").click()

    await expect(conversation).to_contain_text("Rp65.000")
    await expect(conversation.locator(".bal-parts")).to_contain_text("Rp50.000")
    history = page.locator("table.bal-topups")
    await expect(history).to_contain_text("Lunas")
    await expect(history).to_contain_text("Rp50.000")
    assert await no_horizontal_scroll(page)

    await page.get_by_role("link", name="Riwayat Pemakaian").first.click()
    await page.get_by_label("Aktivitas").select_option("topup")
    await page.get_by_role("button", name="Terapkan").click()
    rows = page.locator("table.bal-usage tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Top up")
    assert await no_horizontal_scroll(page)

    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Usage History").wait_for()
    await expect(rows.first).to_contain_text("IDR 50,000")
    await page.get_by_role("link", name="Balance", exact=True).click()
    await expect(page.locator("#balance-conversation")).to_contain_text(
        "IDR 30 per reply · about 2,166 replies")
    assert await no_horizontal_scroll(page)
