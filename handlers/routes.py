"""Every route the app serves, listed literally: the handler modules' route tables, added to the
app by `setup_routes` (called by service.runtime.app.create_app), which also hands the same list
to /openapi.json. A new handler module serves nothing until its table is listed here."""
from __future__ import annotations

from aiohttp import web

from handlers import events, metrics
from handlers import (addons, billing_info, credit, health, invoices, payments, plans,
                      portal_sessions, previews, resellers, sandbox, subscription_addons, subscriptions,
                      tax, topups, wallet, webhooks, workspaces)
from handlers import webhook_endpoints
from handlers.bodies import setup_bodies
from handlers.http import ROUTE_SPECS, RouteSpec

TABLES = (addons.routes, health.routes, invoices.routes, topups.routes, payments.routes,
          plans.routes, subscriptions.routes, workspaces.routes, resellers.routes, sandbox.routes,
          subscription_addons.routes, wallet.routes, webhooks.routes, billing_info.routes,
          previews.routes, tax.routes, credit.routes, portal_sessions.routes,
          events.routes)
TABLES += (metrics.routes,)
TABLES += (webhook_endpoints.routes,)
ROUTES: tuple[RouteSpec, ...] = tuple(spec for table in TABLES for spec in table)


def setup_routes(app: web.Application) -> None:
    for r in ROUTES:
        app.router.add_route(r.method, r.path, r.handler)
    # Not in the OpenAPI document: an invoice code's raw slashes (handlers/invoices.py).
    app.router.add_route("GET", invoices.SLASHED_CODE_PATH, invoices.read)
    app.router.add_route("POST", invoices.SLASHED_PAY_PATH, invoices.pay)
    app[ROUTE_SPECS] = ROUTES
    setup_bodies(app)
