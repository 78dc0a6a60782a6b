"""Operations' reconciliation in a real browser (Chromium) on a phone (issue 16): the page shows
the last run with its time and runs one only when the admin presses "Reconcile now";
Indonesian, then English, no sideways scrolling."""
from __future__ import annotations

from tests.browser import no_horizontal_scroll
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, app_services


async def test_the_admin_runs_a_reconciliation_from_the_operations_page(api, page):
    await api.create_workspace([PHONE_A])
    bad_ws, _ = await api.create_workspace([PHONE_B])
    await page.goto(str(api.client.make_url("/panel/signin")))
    await page.get_by_label("Kunci API").fill(ADMIN_TOKEN)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_role("heading", name="Panel Agensi").wait_for()
    await page.goto(str(api.client.make_url("/panel/operations")))
    await page.get_by_text("Belum ada rekonsiliasi yang dijalankan.").wait_for()
    assert await no_horizontal_scroll(page)
    await page.get_by_role("button", name="Rekonsiliasi sekarang").click()
    await page.get_by_text("Setiap saldo dari 2 workspace sama dengan ledger-nya").wait_for()
    await page.get_by_text("Terakhir dijalankan:").wait_for()
    assert await no_horizontal_scroll(page)

    await app_services(api).db.wallets.update_one(
        {"_id": bad_ws}, {"$inc": {"balances.conversation.purchased": 999}})
    await page.get_by_role("button", name="EN").click()
    await page.get_by_text("Every balance of the 2 workspaces equals its ledger").wait_for()
    await page.get_by_role("button", name="Reconcile now").click()
    await page.get_by_text("1 workspace does not reconcile.").wait_for()
    await page.get_by_role("link", name=bad_ws).wait_for()
    await page.get_by_text("Last run:").wait_for()
    assert await no_horizontal_scroll(page)
