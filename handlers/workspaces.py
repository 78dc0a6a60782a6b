"""Workspaces: create (admin or reseller), read, update, replace the key."""
from __future__ import annotations

from aiohttp import web

from handlers.formatting import money_out
from handlers.http import locale, parse_body, principal, request_now, respond, RouteTable, services
from handlers.invoices import invoice_out
from handlers.models import CreateWorkspace, UpdateWorkspace, WorkspaceKeyOut, WorkspaceOut
from handlers.subscription_models import WorkspaceCreatedOut
from handlers.subscriptions import subscription_out
from handlers.topups import payment_out
from service.workspaces.onboarding import open_workspace
from service.workspaces.records import Workspace
from service.workspaces.workspaces import (load_workspace, replace_workspace_key, require_manager,
                                update_workspace)

routes = RouteTable()


def workspace_out(ws: Workspace, lang: str) -> WorkspaceOut:
    return WorkspaceOut(
        id=ws.id, name=ws.name, phone_number_ids=list(ws.phone_number_ids), plan=ws.plan,
        reseller_id=ws.reseller_id, arrears_limit=money_out(ws.arrears_limit, lang),
        rate_overrides={c: money_out(m, lang) for c, m in ws.rate_overrides.items()},
        created_at=ws.created_at)


@routes.route("POST", "/v1/workspaces", "Create a workspace (admin, or a reseller for its "
              "customers); on a paid plan it starts on Free with the first period's invoice, the "
              "plan applying once paid, unless `complimentary`", body=CreateWorkspace,
              response=WorkspaceCreatedOut, status=201)
async def create(request: web.Request) -> web.Response:
    who = await principal(request)
    require_manager(who)                  # a workspace key: 404 whatever the body (tenancy first)
    body = await parse_body(request, CreateWorkspace)
    svc = services(request)
    opened = await open_workspace(
        svc, who, name=body.name, phone_number_ids=body.phone_number_ids, plan=body.plan,
        reseller_id=body.reseller_id, complimentary=body.complimentary,
        now=request_now(request))
    lang = locale(request)
    return respond(WorkspaceCreatedOut(
        workspace=workspace_out(opened.workspace, lang), api_key=opened.api_key,
        subscription=subscription_out(opened.subscription),
        invoice=(invoice_out(opened.invoice, lang, opened.payment) if opened.invoice
                 else None),
        payment=payment_out(opened.payment) if opened.payment else None), 201)


@routes.route("GET", "/v1/workspaces/{ws}", "Read a workspace", response=WorkspaceOut)
async def read(request: web.Request) -> web.Response:
    who = await principal(request)
    ws = await load_workspace(services(request), who, request.match_info["ws"])
    return respond(workspace_out(ws, locale(request)))


@routes.route("PATCH", "/v1/workspaces/{ws}", "Change phone numbers, arrears limit or rate "
              "overrides (admin or the workspace's reseller)", body=UpdateWorkspace,
              response=WorkspaceOut)
async def update(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    ws = await load_workspace(svc, who, request.match_info["ws"])
    require_manager(who)
    body = await parse_body(request, UpdateWorkspace)
    ws = await update_workspace(svc, ws, body.model_dump(exclude_none=True), request_now(request))
    return respond(workspace_out(ws, locale(request)))


@routes.route("POST", "/v1/workspaces/{ws}/api-key", "Issue a new key for the workspace and revoke "
              "all its earlier ones: a lost or leaked key (admin or the workspace's reseller; "
              "shown once)", response=WorkspaceKeyOut, status=201)
async def replace_key(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    ws = await load_workspace(svc, who, request.match_info["ws"])
    require_manager(who)
    key, revoked = await replace_workspace_key(svc, ws, request_now(request))
    return respond(WorkspaceKeyOut(api_key=key, revoked_keys=revoked), 201)
