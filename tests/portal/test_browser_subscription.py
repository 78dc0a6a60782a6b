"""The subscription screen in a real browser (Chromium, 375 px): unsubscribe with its dialog
and undo; renew → sandbox Pay → back → the overview says it is renewed; a renewal without
billing information → the form → back to the order → payment."""
from __future__ import annotations

import re

from tests.browser import no_horizontal_scroll
from tests.helpers import BILLING_INFO, PHONE_A
from tests.subscription_helpers import subscription


async def _open(api, page, ws: str, key: str, **body) -> None:
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json=body,
                                 headers=api.auth(key))
    await page.goto((await resp.json())["url"])


async def test_unsubscribe_with_its_dialog_then_undo(api, page):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await _open(api, page, ws, key)                                   # Indonesian
    await page.get_by_role("link", name="Berhenti Berlangganan").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("21 Des 2026").wait_for()
    assert await no_horizontal_scroll(page)
    await dialog.get_by_role("button", name="Ya, Berhenti Berlangganan").click()
    await page.get_by_text("Anda sudah berhenti berlangganan").wait_for()
    assert await no_horizontal_scroll(page)
    assert (await subscription(api, ws, key))["scheduled_change"]["kind"] == "cancel"
    await page.get_by_role("button", name="Urungkan").click()
    await page.get_by_role("link", name="Berhenti Berlangganan").wait_for()
    assert await page.get_by_text("Anda sudah berhenti berlangganan").count() == 0
    assert (await subscription(api, ws, key))["scheduled_change"] is None


async def test_renew_pay_in_the_sandbox_and_come_back(api, page):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await _open(api, page, ws, key, locale="en")
    await page.get_by_role("link", name="Renew Subscription").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("The next period: 21 Dec 2026 – 21 Jan 2027.").wait_for()
    assert "299,000" in await dialog.locator("#renew-total").inner_text()
    assert await no_horizontal_scroll(page)
    await dialog.get_by_role("button", name="Continue To Payment").click()
    await page.wait_for_url(re.compile(r"/sandbox/checkout/pay_"))
    await page.get_by_role("button", name="Bayar").click()             # the sandbox's page
    await page.get_by_role("link", name="Kembali ke Saldo").click()
    await page.get_by_role("heading", name="Payment received").wait_for()
    assert await no_horizontal_scroll(page)
    await page.get_by_role("link", name="Continue").click()
    await page.get_by_text("Renewed: the next period, from 21 Dec 2026, is paid.").wait_for()
    assert await page.get_by_role("link", name="Renew Subscription").count() == 0
    assert await no_horizontal_scroll(page)


async def test_billing_information_is_asked_for_then_the_order_goes_on(api, page):
    ws, key = await api.create_workspace([PHONE_A], plan="growth", billing_info=False)
    await _open(api, page, ws, key, locale="en")
    await page.get_by_role("link", name="Renew Subscription").click()
    await page.get_by_role("dialog").get_by_role("button", name="Continue To Payment").click()
    await page.get_by_text("Fill in your billing information to continue").wait_for()
    assert page.url.endswith("/portal/billing-info?next=/portal/renew")
    assert await no_horizontal_scroll(page)
    await page.get_by_label("Legal name").fill(BILLING_INFO["legal_name"])
    await page.get_by_label("Billing email").fill(BILLING_INFO["billing_email"])
    await page.get_by_label("Phone").fill(BILLING_INFO["phone"])
    await page.get_by_label("Address").fill(BILLING_INFO["address"])
    await page.get_by_label("NPWP").fill("12345")
    await page.get_by_role("button", name="Save and continue").click()
    await page.get_by_text("The NPWP has 15 or 16 digits").wait_for()          # at the field
    assert await no_horizontal_scroll(page)
    await page.get_by_label("NPWP").fill(BILLING_INFO["npwp"])
    await page.get_by_role("button", name="Save and continue").click()
    await page.get_by_role("heading", name="Renew Subscription").wait_for()   # back to it
    assert page.url.endswith("/portal/renew")
    await page.get_by_role("button", name="Continue To Payment").click()
    await page.wait_for_url(re.compile(r"/sandbox/checkout/pay_"))
