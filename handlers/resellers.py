"""Resellers (admin creates them, each with an API key shown once) and the workspace list
(admin: all; a reseller: its own)."""
from __future__ import annotations

from aiohttp import web

from handlers.addon_models import ResellerCreated, ResellerIn, ResellerOut, ResellersOut
from handlers.http import (admin_only, locale, parse_body, parse_query, principal, respond,
                           RouteTable, services)
from handlers.models import WorkspacesOut
from handlers.payment_models import ListQuery
from handlers.workspaces import workspace_out
from service.workspaces import resellers

routes = RouteTable()


def reseller_out(doc: dict) -> ResellerOut:
    return ResellerOut(id=doc["_id"], name=doc["name"], metadata=doc.get("metadata") or {},
                       created_at=doc["created_at"])


@routes.route("POST", "/v1/admin/resellers", "Create a reseller with its API key (role reseller; "
              "shown once, stored hashed)", body=ResellerIn, response=ResellerCreated, status=201)
async def create(request: web.Request) -> web.Response:
    await admin_only(request)
    body = await parse_body(request, ResellerIn)
    svc = services(request)
    doc, key = await resellers.create_reseller(svc.db, body.name, body.metadata,
                                               svc.clock.now())
    return respond(ResellerCreated(reseller=reseller_out(doc), api_key=key), 201)


@routes.route("GET", "/v1/admin/resellers", "Resellers, newest first (admin)",
              response=ResellersOut, query=ListQuery)
async def list_all(request: web.Request) -> web.Response:
    await admin_only(request)
    q = parse_query(request, ListQuery)
    docs, cursor = await resellers.list_resellers(services(request).db, q.limit, q.cursor)
    return respond(ResellersOut(resellers=[reseller_out(d) for d in docs], next_cursor=cursor))


@routes.route("GET", "/v1/workspaces", "Workspaces the caller manages: all (admin) or its own "
              "(reseller); cursor pagination", response=WorkspacesOut, query=ListQuery)
async def list_workspaces(request: web.Request) -> web.Response:
    who = await principal(request)
    q = parse_query(request, ListQuery)
    docs, cursor = await resellers.list_workspaces(services(request).db, who, q.limit, q.cursor)
    lang = locale(request)
    return respond(WorkspacesOut(workspaces=[workspace_out(d, lang) for d in docs],
                                 next_cursor=cursor))
