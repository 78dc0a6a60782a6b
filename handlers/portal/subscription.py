"""Settings > Subscription (issue 12 screens 1, 3 and 8): the overview (plan, its standing,
usage against the effective limits), Renew (a confirmation with the amount and the new period,
then payment), Unsubscribe (a confirmation, then Free at the period end) and its undo.

Every number comes from the subscription use cases the JSON API calls (GET …/subscription,
the renewal preview, POST …/renew, …/cancel, DELETE …/scheduled-change). Each confirmation
is a <dialog> on the overview and, without JavaScript, a page of its own (GET)."""
from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from babel.numbers import format_decimal

from billing.errors import BillingError, BillingInfoIncomplete, NotFound, NothingToRenew
from billing.invoices import payable
from billing.plans import FREE_PLAN
from handlers.http import request_now, services
from handlers.portal import i18n
from handlers.portal.i18n import _
from handlers.portal.once import once
from handlers.portal.web import WORKSPACE, field_errors, page, redirect, render
from service.invoices import invoices
from service.payments.pay_later import pay_invoice
from service.previews.outlook import outlook
from service.previews.previews import OrderAsked, preview
from service.runtime import ids
from service.subscriptions import plans
from service.subscriptions import subscriptions as subs
from service.subscriptions.standing import standing

routes = web.RouteTableDef()
LIMITS = ("users", "contacts", "broadcast_quota")


def unit_name(unit: str) -> str:
    return {"monthly": _("Monthly"), "quarterly": _("Quarterly"),
            "yearly": _("Yearly")}.get(unit, unit)


def limit_name(key: str) -> str:
    return {"users": _("Users"), "contacts": _("Contacts"),
            "broadcast_quota": _("Broadcast messages this period")}.get(key, key)


def number(value: int) -> str:
    return format_decimal(value, locale=i18n.LANG.get())


def billing_info_url(back: str) -> str:
    """Where an order refused with billing_info_incomplete sends the customer (and back)."""
    return "/portal/billing-info?next=" + quote(back, safe="/")


async def _overview(request: web.Request) -> dict:
    svc, ws, now = services(request), request[WORKSPACE], request_now(request)
    view = await subs.view(svc, ws.id, now)
    seen = await outlook(svc, ws, now)
    usage = [{"key": k, "name": limit_name(k), "used": view.usage[k].used,
              "maximum": view.usage[k].maximum, "plan": view.usage[k].plan_maximum,
              "exceeded": view.usage[k].exceeded} for k in LIMITS if k in view.usage]
    change = view.scheduled_change
    names = {p.terms.id: p.terms.name for p in await plans.list_plans(svc)} if change else {}
    return {"view": view, "renewal": seen.renewal, "standing": await standing(svc, ws.id, now),
            "change": change, "change_plan": names.get(change.plan, change.plan) if change
            else "", "errors": {},
            "price": view.plan.prices.get(view.period), "unit_name": unit_name,
            "paid": view.plan.id != FREE_PLAN, "usage": usage, "number": number}


@routes.get("/portal")
@page
async def overview(request: web.Request) -> web.StreamResponse:
    return render(request, "portal/subscription/overview.html", await _overview(request))


# --- Renew ---------------------------------------------------------------------------------

async def _renew_page(request: web.Request, errors: dict | None = None) -> web.Response:
    svc, ws, now = services(request), request[WORKSPACE], request_now(request)
    try:
        renewal = await preview(svc, ws, OrderAsked("renewal"), now)
    except NothingToRenew:
        renewal = None
    renewed = (await subs.view(svc, ws.id, now)).next_period_paid
    return render(request, "portal/subscription/renew.html",
                  {"renewal": None if renewed else renewal, "renewed": renewed,
                   "errors": errors or {}, "unit_name": unit_name},
                  status=422 if errors else 200)


@routes.get("/portal/renew")
@page
async def renew_confirm(request: web.Request) -> web.StreamResponse:
    return await _renew_page(request)


async def _checkout(request: web.Request, invoice) -> str:
    """Where to pay an invoice: its live payment link, or back to the overview when nothing
    is left to pay (account credit paid it)."""
    svc, ws, now = services(request), request[WORKSPACE], request_now(request)
    if invoice is None or not payable(invoice.status, invoice.expires_at, now):
        return "/portal"
    _, payment = await pay_invoice(svc, ws, invoice.code, ids.new_seed(now), now)
    return payment.checkout_url or f"/portal/return/{payment.id}"


@routes.post("/portal/renew")
@page
async def renew(request: web.Request) -> web.StreamResponse:
    svc, ws = services(request), request[WORKSPACE]

    async def place(seed: str) -> str:
        placed = await subs.renew_subscription(svc, ws, request_now(request), seed)
        return await _checkout(request, placed.invoice)
    try:
        return await once(request, place)
    except BillingInfoIncomplete:
        return redirect(billing_info_url("/portal/renew"))
    except BillingError as exc:
        return await _renew_page(request, field_errors(exc))


@routes.post("/portal/renew/pay")
@page
async def pay_due(request: web.Request) -> web.StreamResponse:
    """Pay the invoice the subscription waits for (a renewal due, a scheduled change): the
    overview's Pay button. Another workspace's invoice code is not found."""
    svc, ws, now = services(request), request[WORKSPACE], request_now(request)
    code = str((await request.post()).get("code", ""))[:40]
    if not code:
        raise NotFound("Invoice not found", field="code")
    await invoices.by_code(svc, ws.id, code)        # another workspace's: not found (404)
    try:
        due = (await standing(svc, ws.id, now)).due
        if due is None or due.code != code:
            return render(request, "portal/error.html", {"message": _(
                "This invoice cannot be paid any more. Reload the page.")}, status=409)
        return await once(request, lambda seed: _checkout(request, due))
    except BillingError as exc:
        return render(request, "portal/error.html", {"message": field_errors(exc).popitem()[1]},
                      status=422)


# --- Unsubscribe and undo ---------------------------------------------------------------------

async def _unsubscribe_page(request: web.Request, errors: dict | None = None) -> web.Response:
    context = await _overview(request)
    return render(request, "portal/subscription/unsubscribe.html",
                  {**context, "errors": errors or {}}, status=422 if errors else 200)


@routes.get("/portal/unsubscribe")
@page
async def unsubscribe_confirm(request: web.Request) -> web.StreamResponse:
    return await _unsubscribe_page(request)


@routes.post("/portal/unsubscribe")
@page
async def unsubscribe(request: web.Request) -> web.StreamResponse:
    svc, ws = services(request), request[WORKSPACE]

    async def cancel(seed: str) -> str:
        await subs.cancel_subscription(svc, ws, request_now(request), seed)
        return "/portal"
    try:
        return await once(request, cancel)
    except BillingError as exc:
        return await _unsubscribe_page(request, field_errors(exc))


@routes.post("/portal/cancel-change")
@page
async def cancel_change(request: web.Request) -> web.StreamResponse:
    """Undo: the scheduled change (an unsubscribe, a plan change) is cancelled, with its unpaid
    invoice (DELETE …/subscription/scheduled-change)."""
    svc, ws = services(request), request[WORKSPACE]

    async def undo(seed: str) -> str:
        await subs.cancel_scheduled_change(svc, ws.id, request_now(request))
        return "/portal"
    try:
        return await once(request, undo)
    except BillingError as exc:
        context = await _overview(request)
        return render(request, "portal/subscription/overview.html",
                      {**context, "errors": field_errors(exc)}, status=409)
