"""The portal's plumbing: its session (cookie → service.portal.sessions), CSRF on every form,
rendering with the request's language, HTML error pages, and the security headers of every
portal and panel response (CSP with only Saldo's own scripts and styles, a configurable
`frame-ancestors` for embedding in the chat platform).

A page handler is `@page` (a GET: needs a live session) or `@page` on a POST (also needs the
session's CSRF token, in the form field `csrf_token` or the `X-CSRF-Token` header htmx sends).
The handler finds the session at `request[SESSION]`; it renders with `render(...)`."""
from __future__ import annotations

import hmac
import logging
from functools import wraps
from typing import Any, Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from billing.errors import BillingError, NotFound, StoreUnavailable
from handlers.http import locale, request_now, services, status_of
from handlers.portal import i18n
from handlers.portal.messages import error_text
from service.mongo.store import STORE_DOWN
from service.portal import sessions
from service.portal.sessions import PortalSession
from service.workspaces.lookup import workspace_by_id
from service.workspaces.records import Workspace

log = logging.getLogger("saldo.portal")
COOKIE = "saldo_portal"
SESSION = web.RequestKey("portal_session", PortalSession)
WORKSPACE = web.RequestKey("portal_workspace", Workspace)
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(handler: Page) -> Page:
    """A portal page: the session's language, its CSRF check on POST, HTML error pages."""
    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        i18n.LANG.set(locale(request))      # until the session says otherwise
        try:
            svc = services(request)
            session = await sessions.current(svc, request.cookies.get(COOKIE), "portal",
                                             request_now(request))
            if session is None:
                return render(request, "portal/ended.html", {}, status=401)
            request[SESSION] = session
            request[WORKSPACE] = await workspace_by_id(svc, session.workspace_id)
            i18n.LANG.set(session.locale)
            if request.method == "POST" and not await csrf_ok(request, session):
                return render(request, "portal/error.html", {
                    "message": i18n._("This form has expired. Go back, reload the page and "
                                      "try again.")}, status=403)
            return await handler(request)
        except NotFound:
            return render(request, "portal/error.html",
                          {"message": i18n._("Not found.")}, status=404)
        except (StoreUnavailable, STORE_DOWN):
            return render(request, "portal/error.html", {"message": i18n._(
                "Saldo cannot reach its database right now. Try again in a moment.")}, status=503)
        except BillingError as exc:     # a refusal no page handled itself: said in words
            return render(request, "portal/error.html", {"message": error_text(exc)},
                          status=status_of(type(exc)))
    return wrapped


async def csrf_ok(request: web.Request, session: PortalSession) -> bool:
    sent = request.headers.get("X-CSRF-Token")
    if sent is None:
        form = await request.post()
        sent = form.get("csrf_token")
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), session.csrf.encode())


def render(request: web.Request, template: str, context: dict[str, Any],
           status: int = 200) -> web.Response:
    session = request.get(SESSION)
    base = {"session": session, "csrf": session.csrf if session else "",
            "workspace": request.get(WORKSPACE),
            "lang": i18n.LANG.get(), "path": request.path, "query": request.query,
            "path_qs": request.path_qs}
    return aiohttp_jinja2.render_template(template, request, {**base, **context},
                                          status=status)


def field_errors(exc: BillingError) -> dict[str, str]:
    """An API error as the form's field errors: {field or '_form': translated message}."""
    return {exc.field or "_form": error_text(exc)}


def redirect(location: str) -> web.Response:
    """After a successful POST: 303 to the page to show (a plain form navigates; an htmx
    request gets `HX-Redirect` too, so the whole page changes, not a fragment)."""
    return web.Response(status=303, headers={"Location": location, "HX-Redirect": location})


def csp(request: web.Request) -> str:
    settings = services(request).settings
    extra = " ".join(origin for prov in services(request).providers.values()
                     for origin in getattr(prov, "checkout_origins", ()))
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; base-uri 'none'; "
            f"form-action 'self'{' ' + extra if extra else ''}; "
            f"frame-ancestors {settings.portal_frame_ancestors}")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the headers of every portal and panel answer."""
    if not request.path.startswith(("/portal", "/panel", "/static/portal")):
        return
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/static/"):
        return
    response.headers["Content-Security-Policy"] = csp(request)
    response.headers.setdefault("Cache-Control", "no-store")


def cookie_secure(request: web.Request) -> bool:
    return services(request).settings.public_url.startswith("https://")
