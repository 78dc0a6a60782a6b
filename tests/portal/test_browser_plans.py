"""Upgrade / downgrade in a real browser (Chromium, a 375-px phone): Growth yearly with two extra
users added with ➕ (the total recomputed without a reload), Buy Now, the sandbox's Pay, back to
the portal; a downgrade's notice, in English."""
from __future__ import annotations

from playwright.async_api import expect

from tests.addon_helpers import EXTRA_USER, FEATURE_BUNDLE, buy_and_pay, create_addon
from tests.browser import no_horizontal_scroll
from tests.helpers import PHONE_A
from tests.subscription_helpers import invoices, subscription


async def _open(api, page, ws: str, key: str) -> str:
    """Open the portal link in the browser → the server's base URL."""
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(key))
    url = (await resp.json())["url"]
    await page.goto(url)
    return url.split("/portal/open/")[0]


async def test_upgrade_to_growth_yearly_with_two_extra_users_then_pay(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    await create_addon(api, EXTRA_USER)
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/plans")
    assert await no_horizontal_scroll(page)
    await page.get_by_role("link", name="Pilih Growth, Tahunan").click()
    total = page.locator("#summary dd[data-total]")
    await expect(total).to_have_text("Rp2.990.000")
    await page.evaluate("window.stillTheSamePage = true")
    plus = page.get_by_role("button", name="Tambah satu Additional User")
    await plus.click()
    await expect(total).to_have_text("Rp3.480.000")
    await plus.click()
    await expect(total).to_have_text("Rp3.970.000")          # 2.990.000 + 2 × 490.000
    quantity = page.get_by_role("textbox", name="Additional User")
    await expect(quantity).to_have_value("2")
    await quantity.fill("51")                                 # typed: checked by the server
    await quantity.press("Tab")
    await expect(page.locator("#summary")).to_contain_text("Jumlah ini lebih dari jumlah terbanyak yang boleh Anda miliki untuk add-on ini.")
    await expect(page.get_by_role("button", name="Beli Sekarang")).to_be_disabled()
    await quantity.fill("2")
    await quantity.press("Tab")
    await expect(total).to_have_text("Rp3.970.000")
    assert await page.evaluate("window.stillTheSamePage === true")    # no reload
    await expect(page.locator("#summary")).to_contain_text("siklus tagihan berikutnya")
    assert await no_horizontal_scroll(page)
    await page.get_by_role("button", name="Beli Sekarang").click()
    await page.get_by_role("button", name="Bayar").click()
    await page.get_by_role("link", name="Kembali ke Saldo").click()
    await expect(page.locator("#payment-result")).to_contain_text("Pembayaran diterima")
    assert "/portal/return/pay_" in page.url and await no_horizontal_scroll(page)
    change = (await subscription(api, ws, key))["scheduled_change"]
    assert (change["plan"], change["period"]) == ("growth", "yearly")
    assert [(i["status"], i["amount"]["amount"]) for i in await invoices(api, ws, key)] == [
        ("paid", 3_970_000)]
    await page.get_by_role("link", name="Lanjutkan").click()
    await page.wait_for_url(f"{base}/portal")
    assert await no_horizontal_scroll(page)


async def test_a_downgrade_shows_what_shrinks_in_english(api, page):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    bundle = await create_addon(api, FEATURE_BUNDLE)          # Pro only
    await buy_and_pay(api, ws, key, bundle["id"])
    base = await _open(api, page, ws, key)
    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("link", name="Subscription", exact=True).wait_for()
    await page.goto(f"{base}/portal/plans")
    await page.get_by_role("link", name="Choose Growth, Monthly").click()
    notice = page.get_by_role("note")
    await expect(notice).to_contain_text("This is a downgrade.")
    await expect(notice).to_contain_text("Users: 15 → 5")
    await expect(notice).to_contain_text("Developer bundle × 1")
    assert await no_horizontal_scroll(page)
