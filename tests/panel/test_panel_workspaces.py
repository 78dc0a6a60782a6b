"""Agency panel, resellers and workspaces (issue 13): a reseller sees and acts on its own
workspaces only (another reseller's answers "not found", by link and by form, and nothing
changes); the list shows plan, period end, balances, arrears and state, with search and
filters; creating a workspace or a reseller shows its key once; a new key revokes the old."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.addon_helpers import ADMIN, EXTRA_USER, create_addon, create_reseller, \
    reseller_workspace
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, PHONE_C
from tests.panel.helpers import Panel

KEY = re.compile(r'id="new-key"[^>]*>(sk_[a-z]{2}_[^<]+)<')


async def _two_resellers(api):
    _ra, key_a = await create_reseller(api, "Mitra A")
    _rb, key_b = await create_reseller(api, "Mitra B")
    ws_a, ws_a_key = await reseller_workspace(api, key_a, PHONE_A)
    ws_b, ws_b_key = await reseller_workspace(api, key_b, PHONE_B)
    return (key_a, ws_a, ws_a_key), (key_b, ws_b, ws_b_key)


async def _invoices(api, ws, key) -> list:
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", headers=api.auth(key))
    assert resp.status == 200
    return (await resp.json())["invoices"]


async def test_each_reseller_sees_only_its_own_workspaces(api, panel):
    (key_a, ws_a, _), (key_b, ws_b, _) = await _two_resellers(api)
    for key, mine, other in ((key_a, ws_a, ws_b), (key_b, ws_b, ws_a)):
        browser = await panel(key)
        status, page = await browser.get("/panel/workspaces")
        assert status == 200 and f"/panel/workspaces/{mine}" in page
        assert other not in page
        assert (await browser.get(f"/panel/workspaces/{mine}"))[0] == 200
        status, page = await browser.get(f"/panel/workspaces/{other}")
        assert status == 404 and "Tidak ditemukan" in page
        assert (await browser.get("/panel/resellers"))[0] == 404
        assert (await browser.get("/panel/operations"))[0] == 404
    admin = await panel(ADMIN_TOKEN)
    page = (await admin.get("/panel/workspaces"))[1]
    assert ws_a in page and ws_b in page


async def test_another_resellers_workspace_cannot_be_acted_on_by_form(api, panel):
    (key_a, _ws_a, _), (_key_b, ws_b, ws_b_key) = await _two_resellers(api)
    addon = await create_addon(api, EXTRA_USER)
    browser = await panel(key_a)
    await browser.get("/panel/workspaces")
    for action, data in (("addons", {"addon_id": addon["id"], "quantity": "1",
                                     "idem": "t1"}),
                         ("api-key", {}), ("portal", {})):
        status, page, _ = await browser.post(f"/panel/workspaces/{ws_b}/{action}", data)
        assert status == 404, (action, page)
    assert await _invoices(api, ws_b, ws_b_key) == []               # nothing ordered
    assert (await api.wallet(ws_b, ws_b_key))["conversation"]       # the key still works


async def test_no_session_goes_to_sign_in(api, browsers):
    anonymous = Panel(api, browsers())
    for path in ("/panel/workspaces", "/panel/workspaces/ws_x", "/panel/resellers",
                 "/panel/resellers/rs_x", "/panel/operations"):
        async with anonymous.http.get(anonymous.url(path), allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/panel/signin"
    async with anonymous.http.post(anonymous.url("/panel/workspaces/ws_x/portal"),
                                   allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/panel/signin"


async def test_a_reseller_creates_a_workspace_and_sees_its_key_once(api, panel):
    _rid, key = await create_reseller(api)
    browser = await panel(key)
    status, page, _ = await browser.post("/panel/workspaces", {
        "name": "Toko Sinar", "phone_number_ids": PHONE_C, "plan": "free"})
    assert status == 200 and "Toko Sinar" in page
    ws_key = KEY.search(page).group(1)
    assert ws_key.startswith("sk_ws_")
    page = (await browser.get("/panel/workspaces"))[1]
    assert "Toko Sinar" in page and ws_key not in page              # shown once
    resp = await api.client.get("/v1/workspaces", headers=api.auth(key))
    [ws] = (await resp.json())["workspaces"]
    assert ws["name"] == "Toko Sinar"
    # the same number again: the error at its field, nothing created
    status, page, _ = await browser.post("/panel/workspaces", {
        "name": "Toko Lain", "phone_number_ids": PHONE_C, "plan": "free"})
    assert status == 422 and 'id="phone_number_ids-error"' in page
    status, page, _ = await browser.post("/panel/workspaces", {"name": "", "plan": "free"})
    assert status == 422 and 'id="name-error"' in page
    resp = await api.client.get("/v1/workspaces", headers=api.auth(key))
    assert len((await resp.json())["workspaces"]) == 1


async def test_the_list_shows_plans_balances_and_filters(api, panel, clock):
    free_ws, _ = await api.create_workspace([PHONE_A])
    growth_ws, _ = await api.create_workspace([PHONE_B], plan="growth")
    admin = await panel(ADMIN_TOKEN)
    await admin.post("/panel/locale", {"lang": "en", "next": "/panel"})
    page = (await admin.get("/panel/workspaces"))[1]
    assert "Growth" in page and "Free" in page and "Active" in page
    assert "IDR 15,000" in page                                      # the Free grant
    page = (await admin.get("/panel/workspaces?plan=growth"))[1]
    assert growth_ws in page and free_ws not in page
    page = (await admin.get("/panel/workspaces?q=budi"))[1]          # any case
    assert growth_ws in page and free_ws in page
    assert "No workspaces found." in (await admin.get("/panel/workspaces?q=zzz"))[1]
    clock.advance(timedelta(days=32))         # Growth's period ended, its renewal unpaid
    admin = await panel(ADMIN_TOKEN)          # (the earlier session has expired)
    await admin.post("/panel/locale", {"lang": "en", "next": "/panel"})
    page = (await admin.get("/panel/workspaces?state=grace"))[1]
    assert growth_ws in page and free_ws not in page and "In grace" in page


async def test_admin_creates_a_reseller_and_sees_its_workspaces(api, panel):
    admin = await panel(ADMIN_TOKEN)
    status, page, _ = await admin.post("/panel/resellers", {"name": "Mitra Baru"})
    assert status == 200 and "Mitra Baru" in page
    key = KEY.search(page).group(1)
    assert key.startswith("sk_rs_")
    page = (await admin.get("/panel/resellers"))[1]
    assert "Mitra Baru" in page and key not in page
    rid = re.search(r'href="/panel/resellers/(rs_[^"]+)"', page).group(1)
    ws, _ = await reseller_workspace(api, key, PHONE_A)
    other, _ = await api.create_workspace([PHONE_B])
    page = (await admin.get(f"/panel/resellers/{rid}"))[1]
    assert ws in page and other not in page
    assert (await admin.get("/panel/resellers/rs_unknown"))[0] == 404
    status, page, _ = await admin.post("/panel/resellers", {"name": ""})
    assert status == 422 and 'id="name-error"' in page


async def test_a_reseller_assigns_an_add_on_and_gets_the_payment_link(api, panel):
    _rid, key = await create_reseller(api)
    ws, ws_key = await reseller_workspace(api, key, PHONE_A)
    addon = await create_addon(api, EXTRA_USER)
    browser = await panel(key)
    page = (await browser.get(f"/panel/workspaces/{ws}"))[1]
    assert "Additional User" in page
    form = {"addon_id": addon["id"], "quantity": "2", "idem": "assign-1"}
    status, _, location = await browser.post(f"/panel/workspaces/{ws}/addons", form)
    assert status == 303 and location.startswith(f"/panel/workspaces/{ws}/invoices/INV/")
    again = await browser.post(f"/panel/workspaces/{ws}/addons", form)   # a double click
    assert again[2] == location
    [invoice] = await _invoices(api, ws, ws_key)
    assert invoice["status"] == "pending"
    status, page = await browser.get(location)
    assert status == 200 and invoice["code"] in page and "/sandbox/checkout/pay_" in page
    assert 'data-copy="pay-link"' in page
    status, page, _ = await browser.post(f"/panel/workspaces/{ws}/addons",
                                         {"addon_id": addon["id"], "quantity": "0",
                                          "idem": "assign-2"})
    assert status == 422 and 'id="quantity-error"' in page
    assert len(await _invoices(api, ws, ws_key)) == 1


async def test_a_new_key_revokes_the_old_and_is_shown_once(api, panel):
    _rid, key = await create_reseller(api)
    ws, old_key = await reseller_workspace(api, key, PHONE_A)
    browser = await panel(key)
    await browser.get(f"/panel/workspaces/{ws}")
    status, _, _ = await browser.post(f"/panel/workspaces/{ws}/api-key", csrf=False)
    assert status == 403
    assert (await api.client.get(f"/v1/workspaces/{ws}/wallet",
                                 headers=api.auth(old_key))).status == 200
    status, page, _ = await browser.post(f"/panel/workspaces/{ws}/api-key")
    new_key = KEY.search(page).group(1)
    assert status == 200 and new_key != old_key
    assert (await api.client.get(f"/v1/workspaces/{ws}/wallet",
                                 headers=api.auth(old_key))).status == 401
    assert (await api.client.get(f"/v1/workspaces/{ws}/wallet",
                                 headers=api.auth(new_key))).status == 200


async def test_open_the_customer_portal_as_the_workspace(api, panel):
    _rid, key = await create_reseller(api)
    ws, _ = await reseller_workspace(api, key, PHONE_A)
    browser = await panel(key)
    await browser.get(f"/panel/workspaces/{ws}")
    status, _, location = await browser.post(f"/panel/workspaces/{ws}/portal")
    assert status == 303 and location.startswith("/portal/open/")
    status, page = await browser.get(location)
    assert status == 200 and "Toko" in page and "/portal/balance" in page


async def test_operations_shows_reconciliation_and_refunds(api, panel):
    await api.create_workspace([PHONE_A])
    admin = await panel(ADMIN_TOKEN)
    assert (await admin.post("/panel/operations/reconcile", {}))[0] == 303   # issue 16: asked for
    status, page = await admin.get("/panel/operations")
    assert status == 200 and "badge ok" in page
    assert "Tidak ada pembayaran" in page or "No payment needs a refund" in page
    resp = await api.client.get("/v1/admin/payments?state=needs_refund", headers=ADMIN)
    assert (await resp.json())["payments"] == []


async def test_a_hand_edited_cursor_shows_the_first_page(api, panel):
    ws, _ = await api.create_workspace([PHONE_A])
    admin = await panel(ADMIN_TOKEN)
    for path in ("/panel/workspaces?cursor=%%%", "/panel/resellers?cursor=bm9wZQ",
                 "/panel/operations?cursor=x"):
        status, page = await admin.get(path)
        assert status == 200, (path, page)
    assert ws in (await admin.get("/panel/workspaces?cursor=bm9wZQ&q=toko"))[1]


async def test_an_add_on_hidden_from_a_reseller_cannot_be_assigned_by_it(api, panel):
    (key_a, ws_a, ws_a_key), (_key_b, ws_b, _) = await _two_resellers(api)
    rb = (await (await api.client.get("/v1/workspaces/" + ws_b, headers=ADMIN)).json())[
        "reseller_id"]
    hidden = await create_addon(api, {**EXTRA_USER, "visibility": {"resellers": [rb]}})
    browser = await panel(key_a)
    page = (await browser.get(f"/panel/workspaces/{ws_a}"))[1]
    assert hidden["id"] not in page and "Additional User" not in page
    status, page, _ = await browser.post(f"/panel/workspaces/{ws_a}/addons", {
        "addon_id": hidden["id"], "quantity": "1", "idem": "h1"})
    assert status == 422 and 'id="addon_id-error"' in page
    assert await _invoices(api, ws_a, ws_a_key) == []
    status, _ = await browser.get(f"/panel/workspaces/{ws_b}/invoices/INV/2026/000001")
    assert status == 404
