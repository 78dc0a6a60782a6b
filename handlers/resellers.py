"""Resellers (admin creates them, each with an API key shown once) and the workspace list
(admin: all; a reseller: its own)."""
from __future__ import annotations

from aiohttp import web

from handlers.addon_models import ResellerCreated, ResellerIn, ResellerOut, ResellersOut
from handlers.http import (admin_only, locale, parse_body, parse_query, principal, request_now,
                           respond, RouteTable, services)
from handlers.models import WorkspacesOut
from handlers.payment_models import ListQuery
from handlers.workspaces import workspace_out
from service.workspaces import resellers
from service.workspaces.records import Reseller

routes = RouteTable()


def reseller_out(reseller: Reseller) -> ResellerOut:
    return ResellerOut(id=reseller.id, name=reseller.name, metadata=dict(reseller.metadata),
                       created_at=reseller.created_at)


@routes.route("POST", "/v1/admin/resellers", "Create a reseller with its API key (role reseller; "
              "shown once, stored hashed)", body=ResellerIn, response=ResellerCreated, status=201)
async def create(request: web.Request) -> web.Response:
    await admin_only(request)
    body = await parse_body(request, ResellerIn)
    svc = services(request)
    reseller, key = await resellers.create_reseller(svc, body.name, body.metadata,
                                                    request_now(request))
    return respond(ResellerCreated(reseller=reseller_out(reseller), api_key=key), 201)


@routes.route("GET", "/v1/admin/resellers", "Resellers, newest first (admin)",
              response=ResellersOut, query=ListQuery)
async def list_all(request: web.Request) -> web.Response:
    await admin_only(request)
    q = parse_query(request, ListQuery)
    found, cursor = await resellers.list_resellers(services(request), q.limit, q.cursor)
    return respond(ResellersOut(resellers=[reseller_out(r) for r in found], next_cursor=cursor))


@routes.route("GET", "/v1/workspaces", "Workspaces the caller manages: all (admin) or its own "
              "(reseller); cursor pagination", response=WorkspacesOut, query=ListQuery)
async def list_workspaces(request: web.Request) -> web.Response:
    who = await principal(request)
    q = parse_query(request, ListQuery)
    found, cursor = await resellers.list_workspaces(services(request), who, q.limit, q.cursor)
    lang = locale(request)
    return respond(WorkspacesOut(workspaces=[workspace_out(w, lang) for w in found],
                                 next_cursor=cursor))
