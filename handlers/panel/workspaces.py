"""Workspaces: the list (plan, period end, both balances, arrears, state; search by name,
filter by plan and state) and creating one (a reseller for its own customers; the new key shown
once). A reseller sees only its own workspaces, as `GET /v1/workspaces` answers it."""
from __future__ import annotations

import re

from aiohttp import web

from billing.errors import BillingError
from handlers.http import request_now, services
from handlers.models import CreateWorkspace
from handlers.panel.forms import api_errors, page_cursor, paged, validated
from handlers.panel.web import WHO, panel_page, render
from service.subscriptions.plans import list_plans
from service.subscriptions.list_state import STATES
from service.workspaces import resellers
from service.workspaces.onboarding import open_workspace
from service.workspaces.overview import Filters, workspace_rows

routes = web.RouteTableDef()
PAGE = 25


async def list_context(request: web.Request, filters: Filters) -> dict:
    svc = services(request)
    rows, cursor = await paged(lambda at: workspace_rows(
        svc, request[WHO], filters, PAGE, at, request_now(request)), page_cursor(request.query))
    plans = [p.terms for p in await list_plans(svc)]
    return {"rows": rows, "next_cursor": cursor, "plans": plans, "states": STATES,
            "filters": filters, "plan_names": {p.id: p.name for p in plans}}


def _filters(request: web.Request) -> Filters:
    q = request.query
    state = q.get("state") or None
    return Filters(name=(q.get("q") or "").strip()[:100] or None,
                   plan=(q.get("plan") or "")[:40] or None,
                   state=state if state in STATES else None)


async def _page(request: web.Request, form: dict, errors: dict, status: int = 200,
                opened=None) -> web.Response:
    context = await list_context(request, _filters(request))
    resellers_ = []
    if request[WHO].role == "admin":
        resellers_, _ = await resellers.list_resellers(services(request), 100, None)
    return render(request, "panel/workspaces/list.html", {
        **context, "form": form, "errors": errors, "opened": opened,
        "resellers": resellers_}, status=status)


@routes.get("/panel/workspaces")
@panel_page()
async def list_workspaces(request: web.Request) -> web.StreamResponse:
    return await _page(request, {}, {})


def _form_data(form, is_admin: bool) -> dict:
    phones = [p for p in re.split(r"[\s,;]+", str(form.get("phone_number_ids", ""))) if p]
    data = {"name": str(form.get("name", "")).strip(), "phone_number_ids": phones,
            "plan": str(form.get("plan", "")) or None,
            "complimentary": form.get("complimentary") == "on"}
    if is_admin and form.get("reseller_id"):
        data["reseller_id"] = str(form.get("reseller_id"))
    return data


@routes.post("/panel/workspaces")
@panel_page()
async def create_workspace(request: web.Request) -> web.StreamResponse:
    """The new workspace's key is in this answer only."""
    svc, who = services(request), request[WHO]
    data = _form_data(await request.post(), who.role == "admin")
    shown = {**data, "phone_number_ids": " ".join(data["phone_number_ids"])}
    body, errors = validated(CreateWorkspace, data)
    if body is None:
        return await _page(request, shown, errors, status=422)
    try:
        opened = await open_workspace(
            svc, who, name=body.name, phone_number_ids=body.phone_number_ids, plan=body.plan,
            reseller_id=body.reseller_id, complimentary=body.complimentary,
            now=request_now(request))
    except BillingError as exc:
        return await _page(request, shown, api_errors(exc), status=422)
    return await _page(request, {}, {}, opened=opened)

