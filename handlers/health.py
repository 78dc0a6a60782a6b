"""Liveness, readiness and the OpenAPI document."""
from __future__ import annotations

from aiohttp import web

from handlers.http import ROUTE_SPECS, RouteTable, services
from handlers.openapi import build_openapi
from service.runtime.health import store_states, stores_reachable

routes = RouteTable()


@routes.route("GET", "/healthz", "Process is up and can work: 503 names a store that is down "
              "(embedded: its server died and is not back yet)", auth="none")
async def healthz(request: web.Request) -> web.Response:
    stores = await store_states(services(request))
    if "down" in stores.values():
        return web.json_response({"ok": False, "stores": stores}, status=503)
    return web.json_response({"ok": True})


@routes.route("GET", "/readyz", "Database reachable", auth="none")
async def readyz(request: web.Request) -> web.Response:
    if not await stores_reachable(services(request)):
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    return web.json_response({"ok": True})


@routes.route("GET", "/openapi.json", "This document (OpenAPI 3.1)", auth="none")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(build_openapi(request.app[ROUTE_SPECS]))
