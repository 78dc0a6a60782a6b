"""Signing in to the agency panel (issue 13): admin token or reseller key, never a workspace's;
the key is not kept in the browser; wrong keys slowed down per address and per key prefix; a
revoked key ends the session; sign-out; CSRF on forms."""
from __future__ import annotations

from datetime import timedelta

from tests.addon_helpers import create_reseller
from tests.helpers import ADMIN_TOKEN, PHONE_A, app_services
from tests.panel.helpers import Panel


async def test_the_admin_signs_in_and_out(api, panel):
    browser = await panel(ADMIN_TOKEN)
    status, page = await browser.get("/panel")
    assert status == 200 and "Operasional" in page and "Reseller" in page
    cookies = " ".join(c.value for c in browser.http.cookie_jar)
    assert ADMIN_TOKEN not in cookies and ADMIN_TOKEN not in page
    status, page, _ = await browser.post("/panel/signout")
    assert status == 200 and "Anda sudah keluar" in page
    async with browser.http.get(browser.url("/panel"), allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/panel/signin"


async def test_a_reseller_sees_no_admin_screens(api, panel):
    _rid, key = await create_reseller(api)
    browser = await panel(key)
    status, page = await browser.get("/panel")
    assert status == 200 and "Operasional" not in page and "/panel/resellers" not in page


async def test_workspace_keys_and_wrong_keys_are_refused(api, browsers):
    _ws, ws_key = await api.create_workspace([PHONE_A])
    browser = Panel(api, browsers())
    status, page = await browser.sign_in(ws_key)
    assert status == 401 and "workspace" in page.lower()
    status, page = await browser.sign_in("sk_rs_wrong")
    assert status == 401 and "tidak valid" in page
    assert (await browser.get("/panel"))[1].count("api_key") >= 1     # still the sign-in form


async def test_repeated_wrong_keys_are_slowed_down(api, browsers, clock):
    browser = Panel(api, browsers())
    for attempt in range(6):
        status, _ = await browser.sign_in(f"sk_rs_guess{attempt}")
        assert status == 401
    status, page = await browser.sign_in(ADMIN_TOKEN)      # even the right key waits
    assert status == 429 and "1" in page
    clock.advance(timedelta(minutes=1, seconds=1))
    status, _ = await browser.sign_in(ADMIN_TOKEN)
    assert status == 200


async def test_a_revoked_key_ends_the_session(api, panel):
    rid, key = await create_reseller(api)
    browser = await panel(key)
    await app_services(api).db.api_keys.update_many({"reseller_id": rid},
                                                    {"$set": {"revoked_ms": 1}})
    async with browser.http.get(browser.url("/panel"), allow_redirects=False) as resp:
        assert resp.status == 303


async def test_panel_forms_need_csrf_and_same_origin_sign_in(api, panel, browsers):
    browser = await panel(ADMIN_TOKEN)
    status, _, _ = await browser.post("/panel/locale", {"lang": "en"}, csrf=False)
    assert status == 403
    status, _, _ = await browser.post("/panel/locale", {"lang": "en", "next": "/panel"})
    assert status == 303 and "Agency Panel" in (await browser.get("/panel"))[1]
    other = Panel(api, browsers())
    async with other.http.post(other.url("/panel/signin"), data={"api_key": ADMIN_TOKEN},
                               headers={"Origin": "https://evil.example"}) as resp:
        assert resp.status == 403
