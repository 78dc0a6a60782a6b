"""Buy Add-ons (issue 12 screen 4): the add-ons this workspace may buy, each with its price for
its period (service/addons/offers.py, GET /v1/addons' use case), then the Order Summary of one:
➕/➖ within its maximum, and the lines, proration, account credit, tax and total exactly as the
previews use case answers (POST …/previews, kind `addon_purchase`); Continue To Payment places
the add-on purchase (the use case of POST …/subscription/addons) once, and leads to the
provider's checkout (→ /portal/return/{payment_id} → Manage Add-ons), or straight back when
account credit paid it all.

➕, ➖ and Update submit a GET form: without JavaScript it reloads the page; with htmx it asks
for the summary fragment only (`HX-Request`) and swaps it in. A refused quantity or add-on is
shown at its field (a page: 422; a fragment: 200, since htmx swaps only successful answers)."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from aiohttp import web
from babel.numbers import format_percent

from billing.errors import BillingError, BillingInfoIncomplete, NotFound, ValidationFailed
from handlers.http import request_now, services
from handlers.portal import i18n
from handlers.portal.once import once
from handlers.portal.web import WORKSPACE, field_errors, page, redirect, render
from handlers.previews import preview_out
from service.addons import offers as shop
from service.addons import purchases
from service.previews.previews import OrderAsked, preview
from service.subscriptions.subscriptions import view

routes = web.RouteTableDef()

BUY = "/portal/addons/buy"
MANAGE = "/portal/addons"


@routes.get(BUY)
@page
async def catalog(request: web.Request) -> web.StreamResponse:
    svc, workspace = services(request), request[WORKSPACE]
    found = await shop.offers(svc, workspace)
    sub = await view(svc, workspace.id, request_now(request))
    return render(request, "portal/addons/buy.html", {
        "offers": found, "held": {a.addon_id: a.quantity for a in sub.addons}})


def quantity_of(raw: object, step: object = None) -> int:
    """The form's quantity, moved by ➕ (`step=1`) or ➖ (`step=-1`), never below one; whether
    it may be bought is the use case's to say."""
    try:
        quantity = int(str(raw if raw not in (None, "") else 1).strip())
    except ValueError:
        raise ValidationFailed("quantity must be a whole number", field="quantity") from None
    if step in ("1", "-1"):
        return max(1, quantity + int(str(step)))
    if quantity < 1:                 # as the API's body model refuses it (ge=1)
        raise ValidationFailed("quantity must be at least 1", field="quantity")
    return quantity


@routes.get(BUY + "/{addon_id}")
@page
async def summary(request: web.Request) -> web.StreamResponse:
    return await _summary(request, request.query.get("quantity"), request.query.get("step"))


async def _summary(request: web.Request, raw: object, step: object,
                   errors: dict[str, str] | None = None) -> web.Response:
    """The Order Summary page (or its fragment for htmx) at the quantity asked."""
    svc, workspace = services(request), request[WORKSPACE]
    offer = await shop.offer(svc, workspace, request.match_info["addon_id"])
    context: dict = {"offer": offer, "quantity": raw, "q": None, "preview": None,
                     "errors": errors or {}}
    try:
        quantity = context["quantity"] = context["q"] = quantity_of(raw, step)
        shown = await preview(svc, workspace, OrderAsked(
            "addon_purchase", addon_id=offer.addon.id, quantity=quantity), request_now(request))
        context.update(preview=_explained(preview_out(shown, i18n.LANG.get()).model_dump()),
                       full_price=offer.price(quantity))
    except NotFound:
        raise
    except BillingError as exc:
        context["errors"] = {**field_errors(exc), **context["errors"]}
    if request.headers.get("HX-Request"):
        return render(request, "portal/addons/_order.html", context)
    return render(request, "portal/addons/order.html", context,
                  status=422 if context["errors"] else 200)


def _explained(shown: dict) -> dict:
    """Each prorated line with its share of the period as a percentage (display only: the
    amount is the preview's)."""
    for line in shown["lines"]:
        p = line["proration"]
        if p:
            line["share"] = format_percent(Decimal(p["numerator"]) / Decimal(p["denominator"]),
                                           "#,##0.#%", locale=i18n.LANG.get())
    return shown


@routes.post(BUY + "/{addon_id}")
@page
async def place(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    addon_id = request.match_info["addon_id"]
    try:
        quantity = quantity_of(form.get("quantity"))
        return await once(request, lambda seed: _purchase(request, addon_id, quantity, seed))
    except NotFound:
        raise
    except BillingInfoIncomplete:
        back = f"{BUY}/{addon_id}?" + urlencode({"quantity": quantity})
        return redirect("/portal/billing-info?" + urlencode({"next": back}))
    except BillingError as exc:
        return await _summary(request, form.get("quantity"), None, field_errors(exc))


async def _purchase(request: web.Request, addon_id: str, quantity: int, seed: str) -> str:
    placed = await purchases.purchase(services(request), request[WORKSPACE], addon_id,
                                      quantity, request_now(request), seed)
    payment = placed.payment
    if payment is None or payment.provider == "credit":     # account credit paid it all
        return f"{MANAGE}?done=paid"
    return payment.checkout_url or f"/portal/return/{payment.id}"
