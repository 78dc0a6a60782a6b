"""Resellers (admin): the list, creating one (its API key shown once, with a copy button), and
the workspaces of each. Over service.workspaces.resellers, as `/v1/admin/resellers`."""
from __future__ import annotations

from aiohttp import web

from handlers.addon_models import ResellerIn
from handlers.http import request_now, services
from handlers.panel.forms import page_cursor, paged, validated
from handlers.panel.web import WHO, panel_page, render
from handlers.panel.workspaces import list_context
from service.workspaces import resellers
from service.workspaces.overview import Filters, get_reseller

routes = web.RouteTableDef()
PAGE = 25


async def _list(request: web.Request, form: dict, errors: dict, status: int = 200,
                created: tuple | None = None) -> web.Response:
    found, cursor = await paged(lambda at: resellers.list_resellers(
        services(request), PAGE, at), page_cursor(request.query))
    return render(request, "panel/resellers/list.html", {
        "resellers": found, "next_cursor": cursor, "form": form, "errors": errors,
        "created": created}, status=status)


@routes.get("/panel/resellers")
@panel_page(admin=True)
async def list_resellers(request: web.Request) -> web.StreamResponse:
    return await _list(request, {}, {})


@routes.post("/panel/resellers")
@panel_page(admin=True)
async def create_reseller(request: web.Request) -> web.StreamResponse:
    """The key is in this answer only (never stored, never shown again)."""
    form = await request.post()
    data = {"name": str(form.get("name", "")).strip()}
    body, errors = validated(ResellerIn, data)
    if body is None:
        return await _list(request, data, errors, status=422)
    reseller, key = await resellers.create_reseller(services(request), body.name, body.metadata,
                                                    request_now(request))
    return await _list(request, {}, {}, created=(reseller, key))


@routes.get("/panel/resellers/{id}")
@panel_page(admin=True)
async def reseller_workspaces(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    reseller = await get_reseller(svc, request[WHO], request.match_info["id"])
    context = await list_context(request, Filters(reseller_id=reseller.id))
    return render(request, "panel/resellers/workspaces.html", {**context, "reseller": reseller})
