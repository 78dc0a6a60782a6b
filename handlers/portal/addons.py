"""Manage Add-ons (issue 12 screen 5): the add-ons the workspace holds, with quantity and next
renewal (the subscription's view and outlook, as GET …/subscription shows them), and Stop: a
confirmation ("Yes, Stop"; a <dialog> with JavaScript, its own page without), at the period
end by default (then shown as stopping, with Keep to undo it), or now with the account credit
it gives shown first (the previews use case, kind `addon_stop`). Stop and Keep are the
API's DELETE …/addons/{id}[?when=now] and its undo (PATCH to the quantity held:
service/addons/purchases.py `keep`), placed once. An add-on the workspace does not hold is
"not found"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from billing.errors import AddonRequiredBy, BillingError, NotFound, ValidationFailed
from billing.money import Money
from handlers.http import request_now, services
from handlers.portal.messages import error_text
from handlers.portal.once import once
from handlers.portal.web import WORKSPACE, field_errors, page, render
from service.addons import purchases
from service.previews.outlook import Outlook, outlook
from service.previews.previews import OrderAsked, preview
from service.subscriptions.records import HeldAddon
from service.subscriptions.subscriptions import view

routes = web.RouteTableDef()

MANAGE = "/portal/addons"


@dataclass(frozen=True)
class Row:
    held: HeldAddon
    renews_at: datetime          # the current period's end
    next_price: Money | None     # its line in the next renewal, before tax (None: not renewed)
    stop: StopChoice


@dataclass(frozen=True)
class StopChoice:
    now: bool                    # may it be stopped now?
    credit: Money | None         # what stopping now credits to the account (None: nothing)
    blocked: str | None = None   # why it cannot be stopped at all (other add-ons need it)


async def _stop_choice(request: web.Request, addon_id: str) -> StopChoice:
    """What stopping now would give, as the previews use case answers (nothing is written)."""
    try:
        shown = await preview(services(request), request[WORKSPACE],
                              OrderAsked("addon_stop", addon_id=addon_id), request_now(request))
    except AddonRequiredBy as exc:
        return StopChoice(False, None, error_text(exc))
    except BillingError:             # e.g. not priced in rupiah: only at the period end
        return StopChoice(False, None)
    return StopChoice(True, -shown.totals[0] if shown.lines else None)


async def _rows(request: web.Request, only: str | None = None) -> tuple[list[Row], Outlook]:
    svc, workspace, now = services(request), request[WORKSPACE], request_now(request)
    sub = await view(svc, workspace.id, now)
    seen = await outlook(svc, workspace, now)
    return [Row(a, sub.current_period.end, seen.addon_prices.get(a.addon_id),
                await _stop_choice(request, a.addon_id))
            for a in sub.addons if only in (None, a.addon_id)], seen


@routes.get(MANAGE)
@page
async def manage(request: web.Request) -> web.StreamResponse:
    rows, seen = await _rows(request)
    credit = request.query.get("credit", "")
    return render(request, "portal/addons/manage.html", {
        "rows": rows, "history": seen.purchases, "done": request.query.get("done", ""),
        "credit": Money.idr(int(credit)) if re.fullmatch(r"[0-9]{1,15}", credit) else None})


async def _held_row(request: web.Request) -> Row:
    rows, _ = await _rows(request, request.match_info["addon_id"])
    if not rows:
        raise NotFound("The subscription has no such add-on", field="addon_id")
    return rows[0]


@routes.get(MANAGE + "/{addon_id}/stop")
@page
async def confirm_stop(request: web.Request) -> web.StreamResponse:
    """The confirmation as a page of its own (the dialog's no-JavaScript fallback)."""
    return render(request, "portal/addons/stop.html", {"row": await _held_row(request),
                                                       "errors": {}})


@routes.post(MANAGE + "/{addon_id}/stop")
@page
async def stop(request: web.Request) -> web.StreamResponse:
    row = await _held_row(request)
    when = str((await request.post()).get("when", "end"))
    try:
        if when not in ("end", "now"):
            raise ValidationFailed("when must be end or now", field="when")
        return await once(request, lambda seed: _stop(request, row.held.addon_id, when))
    except NotFound:
        raise
    except BillingError as exc:
        return render(request, "portal/addons/stop.html",
                      {"row": row, "errors": field_errors(exc)}, status=422)


async def _stop(request: web.Request, addon_id: str, when: str) -> str:
    placed = await purchases.stop(services(request), request[WORKSPACE], addon_id, when,
                                  request_now(request))
    if when == "end":
        return f"{MANAGE}?done=stopping"
    credit = {"credit": placed.credit.amount} if placed.credit else {}
    return f"{MANAGE}?" + urlencode({"done": "stopped", **credit})


@routes.post(MANAGE + "/{addon_id}/keep")
@page
async def keep(request: web.Request) -> web.StreamResponse:
    """Undo a stop at the period end: the add-on renews as it is."""
    row = await _held_row(request)

    async def action(seed: str) -> str:
        await purchases.keep(services(request), request[WORKSPACE], row.held.addon_id,
                             request_now(request))
        return f"{MANAGE}?done=kept"
    try:
        return await once(request, action)
    except NotFound:
        raise
    except BillingError as exc:
        return render(request, "portal/error.html", {"message": error_text(exc)}, status=409)
