"""The portal's entry and exit: opening a link, the language switch, sign-out, and the page
a payment provider sends the customer back to (`/portal/return/{payment_id}`)."""
from __future__ import annotations

from aiohttp import web

from handlers.http import locale, request_now, services
from handlers.portal import i18n
from handlers.portal.web import COOKIE, SESSION, WORKSPACE, cookie_secure, page, redirect, render
from service.payments import payments
from service.portal import sessions

routes = web.RouteTableDef()


@routes.get("/portal/open/{token}")
async def open_link(request: web.Request) -> web.StreamResponse:
    """The single-use link: a new session and its cookie, then the overview. A used, expired or
    unknown link shows a page saying so (and what to do), in the browser's language."""
    i18n.LANG.set(locale(request))
    opened = await sessions.open_link(services(request), request.match_info["token"],
                                      request_now(request))
    if opened is None:
        return render(request, "portal/link_invalid.html", {}, status=410)
    cookie, session = opened
    response = redirect("/portal")
    response.set_cookie(COOKIE, cookie, path="/portal", httponly=True, samesite="Lax",
                        secure=cookie_secure(request),
                        max_age=int(services(request).settings.portal_session_ttl.total_seconds()))
    return response


@routes.post("/portal/locale")
@page
async def switch_locale(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    lang = str(form.get("lang", ""))
    await sessions.set_locale(services(request), request[SESSION], lang)
    back = str(form.get("next", "/portal"))
    return redirect(back if back.startswith("/portal") and "//" not in back else "/portal")


@routes.post("/portal/signout")
@page
async def sign_out(request: web.Request) -> web.StreamResponse:
    session = request[SESSION]
    await sessions.end(services(request), session, request_now(request))
    response = render(request, "portal/signed_out.html", {"return_url": session.return_url})
    response.del_cookie(COOKIE, path="/portal")
    return response


# Where a paid (or abandoned) order sends the customer back to, by what it bought.
_AFTER = {"topup": "/portal/balance", "subscription": "/portal", "addon": "/portal/addons"}
_AFTER.update({"renewal": "/portal", "plan_change": "/portal"})


@routes.get("/portal/return/{payment_id}")
@page
async def payment_return(request: web.Request) -> web.StreamResponse:
    """The provider's return address: the payment's outcome in words, and the way on. Another
    workspace's payment is 'not found'."""
    payment, invoice = await payments.of_workspace(
        services(request), request[WORKSPACE].id, request.match_info["payment_id"])
    kind = invoice.order.kind if invoice.order else ""
    return render(request, "portal/payment_return.html", {
        "payment": payment, "invoice": invoice, "next": _AFTER.get(kind, "/portal/invoices")})
