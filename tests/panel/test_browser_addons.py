"""Partners → Add-ons in a real browser (Chromium) on a phone: the admin creates the help page's
add-on ("Extra 1.000 WhatsApp conversations", Growth and Pro, monthly and yearly, IDR prices) —
first with no plan, then with a period left without a price, each error at its field —, finds it
in the list and by search, disables and enables it, restricts it to one reseller; that reseller
sees it and the other does not. Indonesian and English, no sideways scrolling on any screen."""
from __future__ import annotations

from playwright.async_api import expect

from tests.addon_helpers import create_reseller
from tests.browser import no_horizontal_scroll
from tests.helpers import ADMIN_TOKEN

NAME = "Extra 1.000 WhatsApp conversations"


async def sign_in(page, api, key: str) -> None:
    await page.goto(str(api.client.make_url("/panel/signin")))
    await page.get_by_label("Kunci API").fill(key)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_role("link", name="Mitra → Add-on").first.click()
    await page.get_by_role("heading", name="Add-on", exact=True).wait_for()


async def test_the_admin_builds_the_help_pages_addon_on_a_phone(api, page):
    await create_reseller(api, "Mitra Satu")
    await create_reseller(api, "Mitra Dua")
    _r1, key1 = await create_reseller(api, "Mitra Tiga")
    _r2, key2 = await create_reseller(api, "Mitra Empat")
    await sign_in(page, api, ADMIN_TOKEN)
    await expect(page.get_by_text("Belum ada add-on.")).to_be_visible()
    assert await no_horizontal_scroll(page)

    await page.get_by_role("link", name="Buat Add-on").click()
    await expect(page.get_by_label("Mata uang")).to_have_value("USD")
    await page.get_by_label("Nama Add-on").fill("wa-conv-1000")
    await page.get_by_label("Nama Tampilan").fill(NAME)
    await page.get_by_label("Tipe Add-on").select_option(label="Percakapan WhatsApp")
    await page.get_by_label("Konsumsi").fill("30000")
    await page.get_by_role("checkbox", name="Tahunan").check()
    await page.get_by_label("Mata uang").select_option("IDR")
    await page.get_by_label("Harga, Bulanan", exact=True).fill("30.000")
    await page.get_by_role("button", name="Simpan Add-on").click()         # no plan chosen
    await expect(page.locator("#err-applicable_plans")).to_have_text("Pilih setidaknya satu paket.")
    assert await no_horizontal_scroll(page)

    await page.get_by_role("checkbox", name="Growth").check()
    await page.get_by_role("checkbox", name="Pro", exact=True).check()
    await page.get_by_role("button", name="Simpan Add-on").click()         # yearly: no price
    await expect(page.locator("#err-price_yearly")).to_have_text("Isi harga untuk periode ini.")
    await expect(page.get_by_label("Harga, Tahunan", exact=True)).to_have_attribute(
        "aria-invalid", "true")
    await expect(page.get_by_label("Harga, Bulanan", exact=True)).to_have_value("30.000")
    assert await no_horizontal_scroll(page)

    await page.get_by_label("Harga, Tahunan", exact=True).fill("300000")
    await page.get_by_role("button", name="Simpan Add-on").click()
    await expect(page.get_by_role("status")).to_contain_text("tersimpan")
    row = page.locator("table.ad-list tbody tr", has_text=NAME)
    await expect(row).to_contain_text("Rp30.000")
    await expect(row).to_contain_text("Rp300.000")
    await expect(row).to_contain_text("Aktif")
    assert await no_horizontal_scroll(page)

    await page.get_by_label("Cari berdasarkan nama").fill("1.000 whatsapp")
    await page.get_by_role("button", name="Cari").click()
    await expect(row).to_have_count(1)
    await page.get_by_role("button", name=f"Nonaktifkan {NAME}").click()
    await expect(row.locator(".badge")).to_have_text("Nonaktif")
    await expect(page.get_by_label("Cari berdasarkan nama")).to_have_value("1.000 whatsapp")
    await page.get_by_role("button", name=f"Aktifkan {NAME}").click()
    await expect(row.locator(".badge")).to_have_text("Aktif")

    await page.get_by_role("link", name=f"Ubah {NAME}").click()
    await page.get_by_role("radio", name="Hanya reseller yang dipilih di bawah").check()
    await page.get_by_role("checkbox", name="Mitra Tiga").check()
    assert await no_horizontal_scroll(page)
    await page.get_by_role("button", name="Simpan Add-on").click()
    await expect(row).to_contain_text("Mitra Tiga")
    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Add-ons").wait_for()
    await expect(row).to_contain_text("IDR 30,000")
    await expect(row.locator(".badge")).to_have_text("Active")
    assert await no_horizontal_scroll(page)
    await page.get_by_role("button", name="Sign out").click()

    await sign_in(page, api, key2)                  # the other reseller: not visible
    await expect(page.get_by_text("Belum ada add-on.")).to_be_visible()
    await expect(page.get_by_text(NAME)).to_have_count(0)
    await page.get_by_role("button", name="Keluar").click()
    await sign_in(page, api, key1)
    await expect(page.locator("table.ad-list")).to_contain_text(NAME)
    await expect(page.get_by_role("link", name="Buat Add-on")).to_have_count(0)
    assert await no_horizontal_scroll(page)
