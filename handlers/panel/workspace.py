"""One workspace (its reseller or the admin; anyone else: "not found", as the API answers):
details, assigning an add-on on the customer's behalf (the API's add-on purchase: its order and
payment link, to copy and send), a new API key (shown once, the old ones revoked), and opening
the customer portal as this workspace (a portal link, followed at once: for support)."""
from __future__ import annotations

import logging

from aiohttp import web

from billing.errors import BillingError, NotFound
from handlers.http import request_now, services
from handlers.panel.forms import api_errors
from handlers.panel.web import PANEL, WHO, panel_page, render
from handlers.portal.i18n import _
from handlers.portal.once import once
from handlers.portal.web import redirect
from service.addons import purchases
from service.addons.catalog import offered_to
from service.invoices import invoices
from service.payments.pay_later import payments_of
from service.portal.sessions import create_link
from service.subscriptions.subscriptions import view
from service.workspaces.overview import one_workspace
from service.workspaces.workspaces import load_workspace, replace_workspace_key

log = logging.getLogger("saldo.panel")
routes = web.RouteTableDef()
BASE = "/panel/workspaces/{ws}"


async def _details(request: web.Request, errors: dict | None = None,
                   form: dict | None = None, status: int = 200) -> web.Response:
    svc, who, now = services(request), request[WHO], request_now(request)
    row = await one_workspace(svc, who, request.match_info["ws"], now)
    return render(request, "panel/workspaces/detail.html", {
        "row": row, "ws": row.workspace, "sub": await view(svc, row.workspace.id, now),
        "offers": await offered_to(svc, who, row.workspace.id),
        "errors": errors or {}, "form": form or {}}, status=status)


@routes.get(BASE)
@panel_page()
async def details(request: web.Request) -> web.StreamResponse:
    return await _details(request)


def _base_url(request: web.Request) -> str:
    public = services(request).settings.public_url.rstrip("/")
    return public or f"{request.scheme}://{request.host}"


def _scope(request: web.Request) -> str:
    who = request[WHO]
    return f"panel:{who.role}:{who.reseller_id or ''}"


@routes.post(BASE + "/addons")
@panel_page()
async def assign_addon(request: web.Request) -> web.StreamResponse:
    """Placed once per form (`idem`); → the order's invoice and payment link."""
    svc, now = services(request), request_now(request)
    workspace = await load_workspace(svc, request[WHO], request.match_info["ws"])
    form = await request.post()
    addon_id = str(form.get("addon_id", ""))[:100]
    shown = {"addon_id": addon_id, "quantity": str(form.get("quantity", ""))[:10]}
    try:
        quantity = int(shown["quantity"])
    except ValueError:
        quantity = 0
    if not 1 <= quantity <= 10_000:
        return await _details(request, {"quantity": _("Enter a whole number from 1.")},
                              shown, status=422)

    async def place(seed: str) -> str:
        placed = await purchases.purchase(svc, workspace, addon_id, quantity, now, seed)
        if placed.invoice is None or not placed.invoice.code:
            return f"/panel/workspaces/{workspace.id}"
        return f"/panel/workspaces/{workspace.id}/invoices/{placed.invoice.code}"
    try:
        return await once(request, place, scope=_scope(request))
    except BillingError as exc:
        if isinstance(exc, NotFound) and exc.field in (None, "workspace_id"):
            raise
        errors = api_errors(exc)
        errors = {("addon_id" if k in ("addon_id", "id") else k): v for k, v in errors.items()}
        return await _details(request, errors, shown, status=422)


@routes.get(BASE + "/invoices/{code:.+}")
@panel_page()
async def order_invoice(request: web.Request) -> web.StreamResponse:
    """An invoice of this workspace and its payment link, to copy and send to the customer."""
    svc = services(request)
    workspace = await load_workspace(svc, request[WHO], request.match_info["ws"])
    invoice = await invoices.by_code(svc, workspace.id, request.match_info["code"])
    payment = (await payments_of(svc, [invoice])).get(invoice.payment_id or "")
    link = payment.checkout_url if payment else None
    if link and link.startswith("/"):
        link = _base_url(request) + link
    return render(request, "panel/workspaces/invoice.html", {
        "ws": workspace, "invoice": invoice, "payment": payment, "link": link})


@routes.post(BASE + "/api-key")
@panel_page()
async def rotate_key(request: web.Request) -> web.StreamResponse:
    """The new key is in this answer only; every earlier key of the workspace is revoked."""
    svc = services(request)
    workspace = await load_workspace(svc, request[WHO], request.match_info["ws"])
    key, revoked = await replace_workspace_key(svc, workspace, request_now(request))
    log.info("panel: workspace key replaced", extra={"fields": {
        "workspace_id": workspace.id, "by": request[WHO].role, "revoked": revoked}})
    return render(request, "panel/workspaces/key.html", {"ws": workspace, "api_key": key,
                                                         "revoked": revoked})


@routes.post(BASE + "/portal")
@panel_page()
async def open_portal(request: web.Request) -> web.StreamResponse:
    """The customer portal as this workspace: a fresh single-use link, followed at once."""
    svc = services(request)
    workspace = await load_workspace(svc, request[WHO], request.match_info["ws"])
    link = await create_link(svc, workspace.id, locale=request[PANEL].locale,
                             return_url=f"{_base_url(request)}/panel/workspaces/{workspace.id}",
                             now=request_now(request))
    log.info("panel: customer portal opened for support", extra={"fields": {
        "workspace_id": workspace.id, "by": request[WHO].role,
        "reseller_id": request[WHO].reseller_id}})
    return redirect(f"/portal/open/{link.url_token}")
