"""The agency panel's plumbing (issue 13), on the portal's foundation: its session (cookie
`saldo_panel` → service.portal.sessions, kind `panel`), the signing-in key re-checked on every
request (a revoked key ends the session), CSRF on every form, rendering, HTML error pages.

`@panel_page()` serves admins and resellers; `@panel_page(admin=True)` only the admin (a reseller
gets "not found", as the API answers). The handler finds the session at `request[PANEL]` and the
caller as the API's `Principal` at `request[WHO]`: use cases authorize with it exactly as they do
for the same key on the API."""
from __future__ import annotations

import hmac
from functools import wraps
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from billing.errors import BillingError, NotFound, StoreUnavailable
from handlers.http import locale, request_now, services, status_of
from handlers.portal import i18n
from handlers.portal.messages import error_text
from handlers.portal.web import Page, csrf_ok
from service.mongo.store import STORE_DOWN
from service.portal import sessions
from service.portal.sessions import PortalSession
from service.workspaces.workspaces import Principal, hash_key, reseller_key_live

COOKIE = "saldo_panel"
PANEL = web.RequestKey("panel_session", PortalSession)
WHO = web.RequestKey("panel_principal", Principal)


def panel_page(*, admin: bool = False):
    def wrap(handler: Page) -> Page:
        @wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            i18n.LANG.set(locale(request))
            try:
                session = await live_session(request)
                if session is None:
                    return web.Response(status=303, headers={"Location": "/panel/signin"})
                request[PANEL] = session
                request[WHO] = Principal(session.role, None, session.reseller_id)
                i18n.LANG.set(session.locale)
                if admin and session.role != "admin":
                    raise NotFound("Not found")
                if request.method == "POST" and not await csrf_ok(request, session):
                    return render(request, "panel/error.html", {"message": i18n._(
                        "This form has expired. Go back, reload the page and try again.")},
                        status=403)
                return await handler(request)
            except NotFound:
                return render(request, "panel/error.html",
                              {"message": i18n._("Not found.")}, status=404)
            except (StoreUnavailable, STORE_DOWN):
                return render(request, "panel/error.html", {"message": i18n._(
                    "Saldo cannot reach its database right now. Try again in a moment.")},
                    status=503)
            except BillingError as exc:     # a refusal no page handled itself: said in words
                return render(request, "panel/error.html", {"message": error_text(exc)},
                              status=status_of(type(exc)))
        return wrapped
    return wrap


async def live_session(request: web.Request) -> PortalSession | None:
    """The panel session of this request's cookie, if its key is still valid."""
    svc = services(request)
    session = await sessions.current(svc, request.cookies.get(COOKIE), "panel",
                                     request_now(request))
    if session is None or not await key_still_valid(request, session):
        return None
    return session


async def key_still_valid(request: web.Request, session: PortalSession) -> bool:
    svc = services(request)
    if session.role == "admin":
        token = svc.settings.admin_token
        return bool(token) and hmac.compare_digest(hash_key(token), session.key_hash or "")
    return await reseller_key_live(svc, session.key_hash or "", session.reseller_id)


def render(request: web.Request, template: str, context: dict[str, Any],
           status: int = 200) -> web.Response:
    session = request.get(PANEL)
    base = {"session": session, "csrf": session.csrf if session else "",
            "lang": i18n.LANG.get(), "path": request.path, "query": request.query,
            "path_qs": request.path_qs,
            "is_admin": bool(session and session.role == "admin")}
    return aiohttp_jinja2.render_template(template, request, {**base, **context},
                                          status=status)
