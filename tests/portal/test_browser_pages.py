"""What a workspace owner notices on the portal's pages in a real browser (Chromium, a 375-px
phone), found by the screenshots of bench/screenshots.py: the Order Summary's ➖/➕ buttons
show a sign, not the box of a glyph no font has; a time says its zone (WIB: Indonesia has
three) in both languages, and on a phone nothing runs past its card's edge and an invoice's
facts keep to a line or two beside their labels; a field's hint is read with the field (its accessible description)."""
from __future__ import annotations

from playwright.async_api import expect

from tests.addon_helpers import EXTRA_USER, create_addon
from tests.helpers import PHONE_A, topup
from tests.portal.test_browser_plans import _open

# The button's text and a private-use character (drawn as the missing-glyph box) drawn in the
# button's font: the same pixels mean the button shows a box.
SHOWS_A_BOX = """(button) => {
  const style = getComputedStyle(button), canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const draw = (text) => { const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, 64, 64); ctx.font = style.font; ctx.textBaseline = 'top';
    ctx.fillText(text, 8, 8); return ctx.getImageData(0, 0, 64, 64).data.join(); };
  return draw(button.textContent.trim()) === draw('\\uE000'); }"""


async def test_the_order_summarys_quantity_buttons_show_a_sign(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    await create_addon(api, EXTRA_USER)
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/plans?plan=pro&period=monthly")
    plus = page.get_by_role("button", name="Tambah satu Additional User")
    minus = page.get_by_role("button", name="Kurangi satu Additional User")
    await expect(plus).to_be_visible()
    assert not await plus.evaluate(SHOWS_A_BOX)
    assert not await minus.evaluate(SHOWS_A_BOX)
    await plus.click()
    await expect(page.get_by_role("textbox", name="Additional User")).to_have_value("1")


async def test_a_time_says_its_zone_in_both_languages(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    order = await topup(api, ws, key)                     # ordered at 03:00 UTC (the clock)
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/balance/topups")
    date = page.locator("table tbody td").first
    await expect(date).to_have_text("21 Nov 2026 10:00 WIB")
    await page.goto(f"{base}/portal/invoices/{order['invoice']['code']}")
    await expect(page.locator("dd", has_text="2026 10:00")).to_have_text(
        ["21 Nov 2026 10:00 WIB", "22 Nov 2026 10:00 WIB"])          # requested, pay before
    await page.get_by_role("button", name="EN").click()
    await page.goto(f"{base}/portal/balance/topups")
    await expect(date).to_have_text("21 Nov 2026 10:00 WIB")


async def test_a_fields_hint_is_read_with_the_field(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/billing-info")
    await expect(page.get_by_label("NPWP")).to_have_accessible_description(
        "Nomor pajak: 15 atau 16 digit, misalnya 01.234.567.8-901.000")
    await page.get_by_label("NPWP").fill("123")
    await page.get_by_role("button", name="Simpan").click()
    npwp = page.get_by_label("NPWP")
    await expect(npwp).to_have_attribute("aria-invalid", "true")
    description = await npwp.evaluate("e => e.getAttribute('aria-describedby')")
    assert description == "bi-npwp-hint bi-npwp-error"


# The elements drawn past the inside of their card's padding (up to 5 of them).
PAST_THE_CARD = """() => [...document.querySelectorAll('.card')].flatMap(card => {
  const box = card.getBoundingClientRect(), pad = parseFloat(getComputedStyle(card).paddingRight);
  return [...card.querySelectorAll('*')].filter(e => e.checkVisibility()
    && e.getBoundingClientRect().right > box.right - pad + 1)
    .map(e => e.tagName.toLowerCase() + ' ' + e.textContent.trim().slice(0, 30)); }).slice(0, 5)"""


async def test_an_invoice_waiting_for_payment_fits_its_cards_on_a_phone(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    order = await topup(api, ws, key)
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/invoices/{order['invoice']['code']}")
    await expect(page.locator(".badge")).to_have_text("Menunggu pembayaran")
    assert await page.evaluate(PAST_THE_CARD) == []


# The lines each value of a card's list (<dd>) is drawn on, by its label.
LINES_OF_VALUES = """(dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map(dt => {
  const walk = document.createTreeWalker(dt.nextElementSibling, NodeFilter.SHOW_TEXT), lines = new Set();
  for (let text = walk.nextNode(); text; text = walk.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(text);
    [...range.getClientRects()].filter(r => r.width > 0).forEach(r => lines.add(Math.round(r.top)));
  }
  return [dt.textContent.trim(), lines.size]; }))"""
# The texts of a list drawn past its right edge (an unbreakable value beside a long label).
TEXT_PAST_THE_LIST = """(dl) => { const edge = dl.getBoundingClientRect().right + 1, out = [];
  const walk = document.createTreeWalker(dl, NodeFilter.SHOW_TEXT);
  for (let text = walk.nextNode(); text; text = walk.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(text);
    if ([...range.getClientRects()].some(r => r.right > edge)) out.push(text.textContent.trim());
  }
  return out; }"""


async def test_an_invoices_facts_keep_to_a_line_or_two_on_a_phone(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    order = await topup(api, ws, key, amount=250_000)
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/invoices/{order['invoice']['code']}")
    facts = page.locator(".inv-summary dl")
    assert await facts.evaluate(LINES_OF_VALUES) == {
        "Status": 1, "Jenis Faktur": 1, "Paket": 2, "Tanggal Permintaan": 1,
        "Bayar sebelum": 1}
    assert await facts.evaluate(TEXT_PAST_THE_LIST) == []
    await page.get_by_role("button", name="EN").click()
    await expect(page.get_by_role("heading", name=f"Invoice {order['invoice']['code']}")) \
        .to_be_visible()
    lines = await facts.evaluate(LINES_OF_VALUES)
    assert max(lines.values()) <= 2 and lines["Status"] == 1, lines
    assert await facts.evaluate(TEXT_PAST_THE_LIST) == []
    assert await page.evaluate(PAST_THE_CARD) == []


async def test_a_top_ups_invoice_opens_from_the_top_up(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    order = await topup(api, ws, key)
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/balance/topups/{order['topup']['id']}")
    code = order["invoice"]["code"]
    await page.get_by_role("link", name=code).click()
    await expect(page.get_by_role("heading", name=f"Faktur {code}")).to_be_visible()


# A select too narrow for its chosen option: the option's text in the select's font, its
# padding and Chromium's arrow (about 20 px) wider than the box.
CUT_SELECTS = """() => [...document.querySelectorAll('select')]
  .filter(select => select.checkVisibility()).filter(select => {
  const style = getComputedStyle(select), ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const text = select.options[select.selectedIndex].text;
  return ctx.measureText(text).width + parseFloat(style.paddingLeft)
         + parseFloat(style.paddingRight) + 20 > select.clientWidth; })
  .map(select => select.options[select.selectedIndex].text)"""


async def test_the_usage_filters_show_their_choices_whole_on_a_phone(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    base = await _open(api, page, ws, key)
    await page.goto(f"{base}/portal/balance/usage")
    await expect(page.get_by_label("Aktivitas")).to_be_visible()
    assert await page.evaluate(CUT_SELECTS) == []
