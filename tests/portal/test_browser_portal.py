"""The portal in a real browser (Chromium): open the link on a phone, switch the language,
sign out."""
from __future__ import annotations

from tests.browser import no_horizontal_scroll
from tests.helpers import PHONE_A


async def test_open_switch_language_and_sign_out_on_a_phone(api, page):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(key))
    url = (await resp.json())["url"]
    await page.goto(url)
    assert await page.get_by_role("link", name="Langganan", exact=True).count() == 1
    assert await no_horizontal_scroll(page)
    await page.get_by_role("button", name="EN").click()
    await page.get_by_role("link", name="Subscription", exact=True).wait_for()
    assert await page.locator("html").get_attribute("lang") == "en"
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_text("You have signed out").wait_for()
    await page.goto(url)      # the link was single-use; the page in the browser's language
    await page.get_by_text("Tautan ini sudah kedaluwarsa atau sudah dipakai").wait_for()
