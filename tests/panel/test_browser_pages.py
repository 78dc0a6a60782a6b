"""What an agency operator notices on the panel's pages in a real browser (Chromium), found by the
screenshots of bench/screenshots.py: an empty Create Add-on says in the page's language what to
fill in (not pydantic's English), Save shows that it is saving and is sent once however often
it is pressed, and badges, the phone's row labels and the list's column headings are never
broken in the middle of a word."""
from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.addon_helpers import EXTRA_USER, WA_CONV, create_addon, create_reseller
from tests.panel.test_browser_addons import sign_in
from tests.helpers import ADMIN_TOKEN
from tests.portal.test_browser_pages import CUT_SELECTS

# What an operator must never read: pydantic's own English and its patterns.
DEVELOPER_TEXT = ("should", "String", "Input", "pattern", "^[")


EMPTY_FORM_ERRORS = {   # the button, then what each field says, per language
    "id": ("Simpan Add-on", {
        "name": "Isi nama internal: huruf kecil, angka, titik dan tanda hubung, misalnya "
                "wa-conv-1000.",
        "display_name": "Isi nama yang dilihat pelanggan.",
        "type": "Pilih tipe add-on."}),
    "en": ("Save Add-on", {
        "name": "Fill in the internal name: lowercase letters, digits, dots and dashes, for "
                "example wa-conv-1000.",
        "display_name": "Fill in the name customers see.",
        "type": "Choose the add-on type."}),
}


async def test_an_empty_create_addon_says_what_to_fill_in_in_each_language(api, page):
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("link", name="Buat Add-on").click()
    for lang, (save, said) in EMPTY_FORM_ERRORS.items():
        if lang == "en":
            await page.get_by_role("button", name="EN").click()
            await page.get_by_role("heading", name="Create Add-on").wait_for()
        await page.get_by_role("button", name=save).click()
        for field, text in said.items():
            await expect(page.locator(f"#err-{field}")).to_have_text(text)
        errors = " ".join(await page.locator(".error").all_inner_texts())
        assert not [word for word in DEVELOPER_TEXT if word in errors], (lang, errors)


async def new_users_addon(page, api) -> None:
    """The admin on Buat Add-on (id), its name, display name, every plan and type filled in."""
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("link", name="Buat Add-on").click()
    await page.get_by_label("Nama Add-on").fill("extra-user")
    await page.get_by_label("Nama Tampilan").fill("Extra User")
    await page.get_by_role("checkbox", name="Semua paket, termasuk paket baru nanti").check()
    await page.get_by_label("Tipe Add-on").select_option("users")


async def test_a_refused_addon_says_what_to_change_in_the_pages_language(api, page):
    await new_users_addon(page, api)
    await page.get_by_role("checkbox", name="Bulanan").uncheck()       # no period at all
    await page.get_by_role("button", name="Simpan Add-on").click()
    await expect(page.locator("#err-periods")).to_have_text("Pilih setidaknya satu periode.")

    await page.get_by_role("checkbox", name="Bulanan").check()
    await page.get_by_label("Mata uang").select_option("IDR")
    await page.get_by_label("Harga, Bulanan", exact=True).fill("49.000")
    await page.get_by_text("Opsi lainnya").click()
    await page.get_by_role("checkbox", name="Boleh lebih dari satu").check()   # no maximum
    await page.get_by_role("button", name="Simpan Add-on").click()
    await expect(page.locator("#err-max_quantity")).to_have_text(
        "Isi jumlah maksimum 2 atau lebih bila pelanggan boleh membeli beberapa unit.")
    errors = " ".join(await page.locator(".error").all_inner_texts())
    assert not [word for word in DEVELOPER_TEXT + ("allow_multiple", "needs") if word in errors]


async def held_posts(page, pattern: str) -> tuple[list[str], asyncio.Event]:
    """The POSTs to `pattern` are counted and held until the event is set (the server's answer
    is slow): what a button shows meanwhile, and whether a second press sends again."""
    posts: list[str] = []
    release = asyncio.Event()

    async def hold(route):
        if route.request.method != "POST":
            return await route.continue_()
        posts.append(route.request.url)
        await release.wait()
        await route.continue_()
    await page.route(pattern, hold)
    return posts, release


async def test_save_addon_shows_it_is_saving_and_is_sent_once(api, page):
    await new_users_addon(page, api)
    await page.get_by_label("Mata uang").select_option("IDR")
    await page.get_by_label("Harga, Bulanan", exact=True).fill("49.000")
    posts, release = await held_posts(page, "**/panel/addons/new")
    save = page.locator("form.ad-form button[type=submit]")
    # pressed, then what the button shows while the answer is held, then pressed again
    shown = await save.evaluate("""button => { button.click();
      const shown = [button.getAttribute('aria-busy'), button.textContent.trim()];
      button.click(); return shown; }""")
    assert shown == ["true", "Menyimpan…"]
    release.set()
    await expect(page.get_by_role("status")).to_contain_text("tersimpan")
    assert len(posts) == 1


async def _broken_mid_word(page, selector: str) -> list[str]:
    """The elements of `selector` whose text takes more lines than it has words."""
    return await page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
      .filter(e => e.checkVisibility()).filter(e => {
        const range = document.createRange(); range.selectNodeContents(e);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                .map(r => Math.round(r.top)));
        return lines.size > e.textContent.trim().split(/\\s+/).length; })
      .map(e => e.textContent.trim())""", selector)


async def test_badges_and_row_labels_keep_their_words_whole(api, page):
    await create_addon(api, WA_CONV)
    await create_addon(api, EXTRA_USER)
    await create_reseller(api, "Mitra Jaya")
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Add-ons").wait_for()
    await page.set_viewport_size({"width": 1280, "height": 900})      # the table, not the cards
    await expect(page.locator("table.ad-list .badge")).to_have_text(["Active", "Active"])
    assert await _broken_mid_word(page, ".badge") == []
    await page.set_viewport_size({"width": 375, "height": 740})
    assert await _broken_mid_word(page, ".badge") == []
    await page.get_by_role("link", name="Resellers", exact=True).first.click()
    await page.get_by_text("Mitra Jaya").first.wait_for()
    # a label narrower than its text on one line (the canvas measures it in the label's font)
    labels = await page.evaluate("""() => [...document.querySelectorAll('table.stack td')]
      .map(td => { const label = getComputedStyle(td, '::before');
                   const text = label.content.slice(1, -1);
                   const ctx = document.createElement('canvas').getContext('2d');
                   ctx.font = label.font;
                   const needed = ctx.measureText(text).width;
                   return [text, parseFloat(label.width) + 0.5 >= needed]; })""")
    assert ["ID", True] in labels, labels
    assert [text for text, one_line in labels if not one_line] == [], "a row's label wraps"


async def test_the_addon_forms_choices_show_whole_on_a_phone(api, page):
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("link", name="Buat Add-on").click()
    await expect(page.get_by_label("Penagihan")).to_be_visible()
    assert await page.evaluate(CUT_SELECTS) == []
    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("heading", name="Create Add-on").wait_for()
    assert await page.evaluate(CUT_SELECTS) == []


async def test_the_indonesian_form_gives_an_indonesian_example(api, page):
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("link", name="Buat Add-on").click()
    await expect(page.locator("#hint-display_name")).to_have_text(
        "Yang dilihat pelanggan, misalnya Ekstra 1.000 percakapan WhatsApp.")


async def test_a_fields_hint_is_read_with_the_field(api, page):
    await sign_in(page, api, ADMIN_TOKEN)
    await page.get_by_role("link", name="Buat Add-on").click()
    await expect(page.get_by_label("Nama Add-on")).to_have_accessible_description(
        "Internal dan unik: huruf kecil, angka, titik, tanda hubung, misalnya wa-conv-1000.")
    await page.get_by_role("button", name="Simpan Add-on").click()
    await expect(page.get_by_label("Nama Add-on")).to_have_accessible_description(
        "Internal dan unik: huruf kecil, angka, titik, tanda hubung, misalnya wa-conv-1000. "
        "Isi nama internal: huruf kecil, angka, titik dan tanda hubung, misalnya wa-conv-1000.")


# The column headings of one word drawn on more than one line (a word broken in the middle).
BROKEN_HEADINGS = """() => [...document.querySelectorAll('th')].filter(th => th.checkVisibility()
  && th.textContent.trim() && !/\\s/.test(th.textContent.trim())).filter(th => {
  const range = document.createRange(); range.selectNodeContents(th);
  return new Set([...range.getClientRects()].filter(r => r.width > 0)
    .map(r => Math.round(r.top))).size > 1; }).map(th => th.textContent.trim())"""


async def test_the_addon_lists_column_headings_keep_their_words_whole_on_a_desktop(api, page):
    await create_addon(api, WA_CONV)
    await create_addon(api, EXTRA_USER)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, api, ADMIN_TOKEN)
    await expect(page.get_by_role("columnheader", name="Status")).to_be_visible()
    assert await page.evaluate(BROKEN_HEADINGS) == []
