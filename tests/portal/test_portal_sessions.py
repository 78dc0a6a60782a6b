"""Opening the portal: the single-use link, the session and its cookie, expiry by the injected
clock, CSRF on forms, the language switch, sign-out, the security headers (issue 12)."""
from __future__ import annotations

from datetime import timedelta

from tests.helpers import PHONE_A, PHONE_B, press_pay, topup
from tests.portal.helpers import Portal, portal_link


async def test_a_link_opens_the_portal_once(api, browsers):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(key))
    assert resp.status == 201
    body = await resp.json()
    assert "/portal/open/" in body["url"]
    assert body["expires_at"].startswith("2026-11-21T03:10:00")      # 10 minutes
    link = body["url"][body["url"].index("/portal/open/"):]
    first = Portal(api, browsers())
    async with first.http.get(first.url(link), allow_redirects=False) as opened:
        assert opened.status == 303 and opened.headers["Location"] == "/portal"
        cookie = opened.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    status, page = await first.get("/portal")
    assert status == 200 and "Toko Budi" in page and "Langganan" in page
    # the same link again, in another browser: used, a clear page, no session
    second = Portal(api, browsers())
    status, page = await second.get(link)
    assert status == 410 and "sudah dipakai" in page and "Traceback" not in page
    status, page = await second.get("/portal")
    assert status == 401 and "Sesi Anda telah berakhir" in page


async def test_an_expired_link_and_an_expired_session(api, browsers, clock):
    ws, key = await api.create_workspace([PHONE_A])
    link = await portal_link(api, ws, key)
    clock.advance(timedelta(minutes=10, seconds=1))
    status, page = await Portal(api, browsers()).get(link)
    assert status == 410 and "kedaluwarsa" in page
    browser = Portal(api, browsers())
    assert (await browser.get(await portal_link(api, ws, key)))[0] == 200
    clock.advance(timedelta(hours=2))
    status, page = await browser.get("/portal")
    assert status == 401 and "Toko Budi" not in page


async def test_bad_requests_for_a_link(api):
    ws, key = await api.create_workspace([PHONE_A])
    other, other_key = await api.create_workspace([PHONE_B])
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions",
                                 json={"return_url": "javascript:alert(1)"}, headers=api.auth(key))
    assert resp.status == 422
    assert (await resp.json())["error"]["field"] == "return_url"
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={"locale": "fr"},
                                 headers=api.auth(key))
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "locale"
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json={},
                                 headers=api.auth(other_key))
    assert resp.status == 404


async def test_forms_need_the_sessions_csrf_token(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    status, page, _ = await browser.post("/portal/locale", {"lang": "en"}, csrf=False)
    assert status == 403 and "kedaluwarsa" in page
    status, _, _ = await browser.post("/portal/locale",
                                      {"lang": "en", "csrf_token": "forged"}, csrf=False)
    assert status == 403
    assert "Langganan" in (await browser.get("/portal"))[1]      # nothing changed
    status, _, where = await browser.post("/portal/locale", {"lang": "en", "next": "/portal"})
    assert status == 303 and where == "/portal"
    page = (await browser.get("/portal"))[1]
    assert 'lang="en"' in page and "Subscription" in page and "Langganan" not in page
    # an htmx request sends the token in a header instead
    status, _, _ = await browser.post("/portal/locale", {"lang": "id"}, csrf=False,
                                      headers={"X-CSRF-Token": browser.csrf})
    assert status == 303 and "Langganan" in (await browser.get("/portal"))[1]


async def test_a_link_in_english_and_back_to_the_app(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en", return_url="https://chat.example/settings")
    page = (await browser.get("/portal"))[1]
    assert "Back to the app" in page and 'href="https://chat.example/settings"' in page


async def test_sign_out_ends_the_session(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    status, page, _ = await browser.post("/portal/signout")
    assert status == 200 and "Anda sudah keluar" in page
    status, _ = await browser.get("/portal")
    assert status == 401


async def test_payment_return_page_is_the_workspaces_own(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    other, other_key = await api.create_workspace([PHONE_B])
    mine = (await topup(api, ws, key))["payment"]["id"]
    theirs = (await topup(api, other, other_key))["payment"]["id"]
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get(f"/portal/return/{theirs}")
    assert status == 404 and "Not found." in page and "Waiting" not in page
    status, page = await browser.get(f"/portal/return/{mine}")
    assert status == 200 and "Waiting for your payment" in page
    await press_pay(api, mine)
    status, page = await browser.get(f"/portal/return/{mine}")
    assert "Payment received" in page and 'href="/portal/balance"' in page


async def test_security_headers(api, portal, make_app, aiohttp_client):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    async with browser.http.get(browser.url("/portal")) as resp:
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'self'" in csp and "unsafe-inline" not in csp
        assert resp.headers["Cache-Control"] == "no-store"
    async with browser.http.get(browser.url("/static/portal/htmx-2.0.11.min.js")) as resp:
        assert resp.status == 200 and "htmx" in await resp.text()


async def test_switching_the_language_keeps_the_page_and_its_query(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    page = (await browser.get("/portal/billing-info?next=/portal/plans"))[1]
    assert 'name="next" value="/portal/billing-info?next=/portal/plans"' in page
    status, _, where = await browser.post("/portal/locale", {
        "lang": "en", "next": "/portal/billing-info?next=/portal/plans"})
    assert status == 303 and where == "/portal/billing-info?next=/portal/plans"


async def test_an_unknown_payment_is_an_html_page_in_words(api, portal):
    """The return page of a payment id that is no payment at all: a page in the session's
    language, never the API's JSON error."""
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    async with browser.http.get(browser.url("/portal/return/pay_nothing")) as resp:
        assert resp.status == 404 and resp.content_type == "text/html"
        assert "Not found." in await resp.text()
