"""Agency panel, Operations (admin): the reconciliation result (green, or the workspaces that
differ and how) and the payments that need a refund with their invoices, refunded from the
panel once; a reseller gets "not found". And the workspace state "moved to Free"."""
from __future__ import annotations

from datetime import timedelta

from service.subscriptions.billing_run import run_pass
from tests.addon_helpers import create_reseller
from tests.helpers import (ADMIN_TOKEN, PHONE_A, PHONE_B, app_services, payment_callback,
                           post_payment_callback, topup)


async def _late_payment(api, clock) -> tuple[str, dict]:
    ws, key = await api.create_workspace([PHONE_A])
    body = await topup(api, ws, key, "conversation", 50_000)
    clock.advance(timedelta(hours=24))                      # the invoice expired, then paid
    resp = await post_payment_callback(api, payment_callback(body["payment"]["id"]))
    assert (await resp.json())["payment"]["status"] == "needs_refund"
    return ws, body


async def test_a_late_payment_is_listed_with_its_invoice_and_refunded_once(api, panel, clock):
    _ws, body = await _late_payment(api, clock)
    pid, code = body["payment"]["id"], body["invoice"]["code"]
    admin = await panel(ADMIN_TOKEN)
    status, page = await admin.get("/panel/operations")
    assert status == 200 and pid in page and code in page and "Rp50.000" in page
    status, _, _ = await admin.post(f"/panel/operations/payments/{pid}/refund",
                                    {"idem": "r1"}, csrf=False)
    assert status == 403
    form = {"idem": "refund-1"}
    status, _, location = await admin.post(f"/panel/operations/payments/{pid}/refund", form)
    assert status == 303 and f"refunded={pid}" in location
    assert (await admin.post(f"/panel/operations/payments/{pid}/refund", form))[2] == location
    status, page = await admin.get(location)
    assert "sudah dikembalikan" in page and "Tidak ada pembayaran yang perlu dikembalikan" in page
    resp = await api.client.get("/v1/admin/payments?state=refunded",
                                headers=api.auth(ADMIN_TOKEN))
    [refunded] = (await resp.json())["payments"]
    assert refunded["id"] == pid and refunded["refund"]["attempt"] == 1
    status, page, _ = await admin.post("/panel/operations/payments/pay_unknown/refund",
                                       {"idem": "r2"})
    assert status == 404


async def test_a_reseller_cannot_see_or_refund(api, panel, clock):
    _ws, body = await _late_payment(api, clock)
    _rid, key = await create_reseller(api)
    browser = await panel(key)
    await browser.get("/panel")
    pid = body["payment"]["id"]
    assert (await browser.get("/panel/operations"))[0] == 404
    status, _, _ = await browser.post(f"/panel/operations/payments/{pid}/refund", {"idem": "x"})
    assert status == 404
    assert (await browser.post("/panel/operations/reconcile", {}))[0] == 404
    resp = await api.client.get("/v1/admin/payments?state=needs_refund",
                                headers=api.auth(ADMIN_TOKEN))
    assert [p["id"] for p in (await resp.json())["payments"]] == [pid]


async def test_a_balance_that_differs_from_its_ledger_is_shown(api, panel):
    ok_ws, _ = await api.create_workspace([PHONE_A])
    bad_ws, _ = await api.create_workspace([PHONE_B])
    await app_services(api).db.wallets.update_one(
        {"_id": bad_ws}, {"$inc": {"balances.conversation.purchased": 999}})
    admin = await panel(ADMIN_TOKEN)
    await admin.post("/panel/locale", {"lang": "en", "next": "/panel"})
    status, _, location = await admin.post("/panel/operations/reconcile", {})
    assert status == 303 and location.startswith("/panel/operations")
    page = (await admin.get("/panel/operations"))[1]
    assert "1 workspace does not reconcile." in page and bad_ws in page
    assert ok_ws not in page and "conversation: balance" in page


async def test_the_page_shows_the_last_run_and_runs_one_only_when_asked(api, panel, clock):
    """issue 16: a full reconciliation reads every ledger entry (minutes at 1,000,000 of them):
    loading the page reads the last run's result; the button runs one (CSRF-protected)."""
    ws, _ = await api.create_workspace([PHONE_A])
    admin = await panel(ADMIN_TOKEN)
    await admin.post("/panel/locale", {"lang": "en", "next": "/panel"})
    db = app_services(api).db
    page = (await admin.get("/panel/operations"))[1]
    assert "No reconciliation has run yet." in page and "Reconcile now" in page
    assert await db.reconcile_runs.find_one({}) is None            # the load ran none
    assert (await admin.post("/panel/operations/reconcile", {}, csrf=False))[0] == 403
    assert await db.reconcile_runs.find_one({}) is None
    assert (await admin.post("/panel/operations/reconcile", {}))[0] == 303
    page = (await admin.get("/panel/operations"))[1]
    assert "Every balance of the 1 workspace equals its ledger" in page and "Last run:" in page
    await db.wallets.update_one({"_id": ws}, {"$inc": {"balances.conversation.purchased": 1}})
    clock.advance(timedelta(hours=1))
    page = (await admin.get("/panel/operations"))[1]
    assert "Every balance of the 1 workspace" in page                # the last run, as it was
    assert (await api.reconcile())["ok"] is False                  # the API's full run is kept
    page = (await admin.get("/panel/operations"))[1]
    assert "1 workspace does not reconcile." in page and ws in page


async def test_a_workspace_whose_renewal_lapsed_shows_moved_to_free(api, panel, clock,
                                                                      settings):
    ws, _ = await api.create_workspace([PHONE_A], plan="growth")
    svc = app_services(api)
    clock.advance(timedelta(days=28))                     # the renewal invoice is issued
    await run_pass(svc, clock.now(), "w")
    clock.advance(timedelta(days=12))                     # unpaid past the grace
    for _ in range(2):
        await run_pass(svc, clock.now(), "w")
    admin = await panel(ADMIN_TOKEN)
    await admin.post("/panel/locale", {"lang": "en", "next": "/panel"})
    page = (await admin.get("/panel/workspaces?state=moved_to_free"))[1]
    assert ws in page and "Moved to Free" in page
    assert ws not in (await admin.get("/panel/workspaces?state=active"))[1]
