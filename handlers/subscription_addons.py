"""A subscription's add-ons (the workspace, its reseller or the admin): buy, change the
quantity, stop; and the entitlement check the chat platform asks before adding a user or a
contact or sending a broadcast."""
from __future__ import annotations

from datetime import datetime

from aiohttp import web

from billing.errors import BillingInfoIncomplete
from handlers.addon_models import (AddonOrderOut, AddonPurchaseIn, AddonQuantityIn,
                                   EntitlementCheckIn, EntitlementCheckOut, StopQuery)
from handlers.formatting import money_out
from handlers.http import (locale, parse_body, parse_query, principal, request_now, respond,
                           RouteTable, services)
from handlers.idempotency import idempotent, seed
from handlers.invoices import invoice_out
from handlers.subscriptions import subscription_out
from handlers.topups import payment_out
from service.addons import purchases as addons
from service.subscriptions.subscriptions import view
from service.workspaces.records import Workspace
from service.workspaces.workspaces import load_workspace

routes = RouteTable()

BASE = "/v1/workspaces/{ws}/subscription/addons"


async def _workspace(request: web.Request) -> Workspace:
    return await load_workspace(services(request), await principal(request),
                                request.match_info["ws"])


async def placed_out(request: web.Request, placed: addons.AddonPlaced,
                     now: datetime) -> AddonOrderOut:
    svc, lang = services(request), locale(request)
    return AddonOrderOut(
        subscription=subscription_out(await view(svc, placed.workspace_id, now)),
        addon_id=placed.addon_id, quantity=placed.quantity,
        invoice=(invoice_out(placed.invoice, lang, placed.payment) if placed.invoice
                 else None),
        payment=payment_out(placed.payment) if placed.payment else None,
        credit=money_out(placed.credit, lang) if placed.credit else None,
        order_id=placed.order.id if placed.order else None,
        metadata=dict(placed.order.metadata) if placed.order else {})


@routes.route("POST", BASE, "Buy an add-on → invoice (recurring: prorated to the period end; "
              "one-time: full price); applied when paid (Idempotency-Key supported)",
              body=AddonPurchaseIn, response=AddonOrderOut, status=201,
              errors=(BillingInfoIncomplete,))
@idempotent
async def purchase(request: web.Request) -> web.Response:
    workspace = await _workspace(request)
    body = await parse_body(request, AddonPurchaseIn)
    svc = services(request)
    now = request_now(request)
    placed = await addons.purchase(svc, workspace, body.addon_id, body.quantity, now,
                                   seed(request), body.metadata)
    return respond(await placed_out(request, placed, now), 201)


@routes.route("PATCH", f"{BASE}/{{addon_id}}", "Change an add-on's quantity: up → invoice for the "
              "prorated difference, applied when paid; down → now, the prorated difference "
              "credited to the wallet (rupiah-priced add-ons; others: from the period end); 409 "
              "holding_changed if another request changed it first (read it again and retry)",
              body=AddonQuantityIn, response=AddonOrderOut)
@idempotent
async def change(request: web.Request) -> web.Response:
    workspace = await _workspace(request)
    body = await parse_body(request, AddonQuantityIn)
    svc = services(request)
    now = request_now(request)
    placed = await addons.change_quantity(svc, workspace, request.match_info["addon_id"],
                                          body.quantity, now, seed(request))
    return respond(await placed_out(request, placed, now))


@routes.route("DELETE", f"{BASE}/{{addon_id}}", "Stop an add-on: at the period end (default) or "
              "?when=now with the prorated rest credited to the wallet; 409 holding_changed if "
              "another request changed it first", response=AddonOrderOut,
              query=StopQuery)
@idempotent
async def stop(request: web.Request) -> web.Response:
    workspace = await _workspace(request)
    q = parse_query(request, StopQuery)
    svc = services(request)
    now = request_now(request)
    placed = await addons.stop(svc, workspace, request.match_info["addon_id"], q.when, now)
    return respond(await placed_out(request, placed, now))


@routes.route("POST", "/v1/workspaces/{ws}/entitlements/check", "May the workspace add `amount` "
              "users or contacts, or send `amount` broadcasts (effective limits with add-ons), or "
              "use feature `key`?", body=EntitlementCheckIn, response=EntitlementCheckOut)
async def check(request: web.Request) -> web.Response:
    workspace = await _workspace(request)
    body = await parse_body(request, EntitlementCheckIn)
    result = await addons.check_entitlement(services(request), workspace.id, body.key,
                                            body.amount)
    return respond(EntitlementCheckOut(**result))
