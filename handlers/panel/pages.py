"""The panel's entry and exit: sign in with an API key (admin token or a reseller's key), the
language switch, sign-out, and the home page."""
from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from billing.errors import Unauthorized
from handlers.http import locale, request_now, services
from handlers.portal import i18n
from handlers.portal.i18n import _
from handlers.portal.web import cookie_secure
from handlers.panel.web import COOKIE, PANEL, live_session, panel_page, render
from service.portal import sessions, throttle
from service.workspaces.workspaces import authenticate, hash_key

routes = web.RouteTableDef()


def _same_origin(request: web.Request) -> bool:
    """The sign-in form has no session yet to bind a CSRF token to: it must come from the
    panel's own page (Origin, or Referer, naming this host), besides the SameSite cookie."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return origin is None or urlsplit(origin).netloc == request.host


@routes.get("/panel/signin")
async def signin_form(request: web.Request) -> web.StreamResponse:
    i18n.LANG.set(locale(request))
    if await live_session(request) is not None:
        return web.Response(status=303, headers={"Location": "/panel"})
    return render(request, "panel/signin.html", {"error": None})


@routes.post("/panel/signin")
async def signin(request: web.Request) -> web.StreamResponse:
    i18n.LANG.set(locale(request))
    svc, now = services(request), request_now(request)
    form = await request.post()
    key = str(form.get("api_key", "")).strip()
    if not _same_origin(request):
        return render(request, "panel/signin.html",
                      {"error": _("Sign in from the panel's own page.")}, status=403)
    names = throttle.subjects(request.remote, key)
    locked = await throttle.locked_until(svc, names, now)
    if locked is not None:
        minutes = max(1, int((locked - now).total_seconds() + 59) // 60)
        return render(request, "panel/signin.html", {"error": _(
            "Too many wrong keys. Try again in %(minutes)s minutes.", minutes=minutes)},
            status=429)
    try:
        who = await authenticate(svc, f"Bearer {key}") if key else None
    except Unauthorized:
        who = None
    if who is None or who.role not in ("admin", "reseller"):
        await throttle.failed(svc, names, now)
        message = _("This is a workspace key: workspaces use Settings > Subscription in the app.") \
            if who is not None else _("This key is not valid.")
        return render(request, "panel/signin.html", {"error": message}, status=401)
    await throttle.succeeded(svc, names[1])
    cookie, _session = await sessions.start(
        svc, kind="panel", role=who.role, workspace_id=None, reseller_id=who.reseller_id,
        locale=i18n.LANG.get(), return_url=None, now=now, key_hash=hash_key(key))
    response = web.Response(status=303, headers={"Location": "/panel"})
    response.set_cookie(COOKIE, cookie, path="/panel", httponly=True, samesite="Lax",
                        secure=cookie_secure(request),
                        max_age=int(svc.settings.portal_session_ttl.total_seconds()))
    return response


@routes.post("/panel/signout")
@panel_page()
async def signout(request: web.Request) -> web.StreamResponse:
    await sessions.end(services(request), request[PANEL], request_now(request))
    response = render(request, "panel/signin.html",
                      {"error": None, "notice": _("You have signed out.")})
    response.del_cookie(COOKIE, path="/panel")
    return response


@routes.post("/panel/locale")
@panel_page()
async def switch_locale(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    await sessions.set_locale(services(request), request[PANEL], str(form.get("lang", "")))
    back = str(form.get("next", "/panel"))
    ok = back.startswith("/panel") and "//" not in back
    return web.Response(status=303, headers={"Location": back if ok else "/panel"})


@routes.get("/panel")
@panel_page()
async def home(request: web.Request) -> web.StreamResponse:
    return render(request, "panel/home.html", {})
