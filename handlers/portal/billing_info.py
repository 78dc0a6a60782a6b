"""Billing Information (issue 12 screen 9): the buyer printed on invoices, which the API needs
before an upgrade, a renewal or a purchase (PUT …/billing-info, the same use case).

An order refused with `billing_info_incomplete` sends the customer here with
`?next=<the order's /portal page>`; after saving, the form goes back there. Only a path of the
portal is followed (`safe_next`): anything else (another site, `//host`, a scheme) is ignored."""
from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from billing.billing_info import billing_info
from billing.errors import ValidationFailed
from handlers.http import services
from handlers.portal.i18n import _
from handlers.portal.messages import error_text
from handlers.portal.web import WORKSPACE, page, redirect, render
from service.workspaces.billing_info import billing_info_of, put_billing_info

routes = web.RouteTableDef()
FIELDS = ("legal_name", "billing_email", "phone", "address", "npwp")


def safe_next(value: object) -> str:
    """`value` if it is a path of the portal (with its query), else ''."""
    text = str(value or "")
    if not text or len(text) > 2000 or "\\" in text or any(ord(c) < 32 for c in text):
        return ""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or text.startswith("//"):
        return ""
    if parts.path != "/portal" and not parts.path.startswith("/portal/"):
        return ""
    return text


def field_message(exc: ValidationFailed) -> str:
    """What to tell about a refused field (billing/billing_info.py's rules)."""
    if exc.code != "validation_error":
        return error_text(exc)
    return {"legal_name": _("Enter the name on one line, at most 200 characters."),
            "billing_email": _("Enter an e-mail address, such as finance@example.co.id."),
            "phone": _("Enter a phone number: digits, with +, spaces, dashes or brackets."),
            "address": _("Enter the address as plain text, at most 500 characters."),
            "npwp": _("The NPWP has 15 or 16 digits (dots and dashes are fine).")
            }.get(exc.field or "", error_text(exc))


def _page(request: web.Request, values: dict, errors: dict, nxt: str,
          status: int = 200) -> web.Response:
    missing = [] if errors else [f for f in FIELDS if not values.get(f)]
    return render(request, "portal/subscription/billing_info.html", {
        "values": values, "errors": errors, "next": nxt, "missing": missing,
        "saved": request.query.get("saved") == "1"}, status=status)


@routes.get("/portal/billing-info")
@page
async def form(request: web.Request) -> web.StreamResponse:
    info = billing_info_of(request[WORKSPACE])
    return _page(request, info.to_dict(), {}, safe_next(request.query.get("next")))


@routes.post("/portal/billing-info")
@page
async def save(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    # a browser sends a textarea's line breaks as CRLF (HTML form encoding): the text has LF
    values = {f: str(posted.get(f, ""))[:2000].replace("\r\n", "\n") for f in FIELDS}
    nxt = safe_next(posted.get("next"))
    try:
        info = billing_info(**values)
    except ValidationFailed as exc:
        return _page(request, values, {exc.field or "_form": field_message(exc)}, nxt, 422)
    if nxt and info.missing():        # the order needs every field: say which are left
        errors = {f: _("Fill in this field.") for f in info.missing()}
        return _page(request, values, errors, nxt, 422)
    await put_billing_info(services(request), request[WORKSPACE], info)
    return redirect(nxt or "/portal/billing-info?saved=1")
