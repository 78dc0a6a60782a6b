"""The add-on catalog: the agency panel (admin) creates, edits, (de)activates, deletes and
searches add-ons; `GET /v1/addons` lists what the caller may buy."""
from __future__ import annotations

from aiohttp import web

from billing.addon_catalog import effective_quantity
from billing.addons import normal_visibility
from handlers.addon_models import (AddonFields, AddonIn, AddonListQuery, AddonOut, AddonsOut,
                                   CatalogQuery)
from handlers.http import (admin_only, parse_body, parse_query, principal, request_now, respond,
                           RouteTable, services)
from service.addons import catalog, deletion
from service.addons.records import Addon

routes = RouteTable()

ADMIN = "/v1/admin/addons"


def addon_out(addon: Addon) -> AddonOut:
    fields = addon.contract()
    fields["allow_multiple"], fields["max_quantity"] = effective_quantity(fields)
    fields["visibility"] = normal_visibility(addon.visibility)
    return AddonOut(id=addon.id, **fields, created_at=addon.created_at,
                    updated_at=addon.updated_at)


def addon_data(body: AddonFields, *, partial: bool) -> dict:
    data = body.model_dump(by_alias=True, exclude_unset=partial)
    return {k: v for k, v in data.items() if v is not None} if partial else data


@routes.route("POST", ADMIN, "Create an add-on (admin: the agency's catalog)", body=AddonIn,
              response=AddonOut, status=201)
async def create(request: web.Request) -> web.Response:
    await admin_only(request)
    body = await parse_body(request, AddonIn)
    svc = services(request)
    addon = await catalog.create_addon(svc, addon_data(body, partial=False), request_now(request))
    return respond(addon_out(addon), 201)


@routes.route("GET", ADMIN, "Add-ons, newest first: ?q= searches name and display name; "
              "?filter_by=all|active|inactive|one_time|recurring; ?plan= those applicable to a plan; "
              "cursor pagination (admin)",
              response=AddonsOut, query=AddonListQuery)
async def list_all(request: web.Request) -> web.Response:
    await admin_only(request)
    q = parse_query(request, AddonListQuery)
    found, cursor = await catalog.list_addons(services(request), q=q.q, filter_by=q.filter_by,
                                              plan=q.plan, limit=q.limit, cursor=q.cursor)
    return respond(AddonsOut(addons=[addon_out(a) for a in found], next_cursor=cursor))


@routes.route("GET", f"{ADMIN}/{{id}}", "Read an add-on (admin)", response=AddonOut)
async def read(request: web.Request) -> web.Response:
    await admin_only(request)
    return respond(addon_out(await catalog.get_addon(services(request),
                                                     request.match_info["id"])))


@routes.route("PATCH", f"{ADMIN}/{{id}}", "Change an add-on (admin); the whole add-on is validated "
              "again. Subscriptions holding it see new prices at their next invoice",
              body=AddonFields, response=AddonOut)
async def update(request: web.Request) -> web.Response:
    await admin_only(request)
    svc = services(request)
    await catalog.get_addon(svc, request.match_info["id"])
    body = await parse_body(request, AddonFields)
    addon = await catalog.update_addon(svc, request.match_info["id"],
                                       addon_data(body, partial=True), request_now(request))
    return respond(addon_out(addon))


@routes.route("DELETE", f"{ADMIN}/{{id}}", "Delete an add-on (admin); 409 addon_in_use while a "
              "subscription or an open order uses it (deactivate it instead)", status=204)
async def delete(request: web.Request) -> web.Response:
    await admin_only(request)
    svc = services(request)
    await deletion.delete_addon(svc, request.match_info["id"], request_now(request))
    return web.Response(status=204)


async def _set_status(request: web.Request, status: str) -> web.Response:
    await admin_only(request)
    svc = services(request)
    await catalog.get_addon(svc, request.match_info["id"])
    addon = await catalog.set_status(svc, request.match_info["id"], status, request_now(request))
    return respond(addon_out(addon))


@routes.route("POST", f"{ADMIN}/{{id}}/activate", "Offer an add-on again (admin)",
              response=AddonOut)
async def activate(request: web.Request) -> web.Response:
    return await _set_status(request, "active")


@routes.route("POST", f"{ADMIN}/{{id}}/deactivate", "Stop selling an add-on (admin); subscriptions "
              "holding it keep it", response=AddonOut)
async def deactivate(request: web.Request) -> web.Response:
    return await _set_status(request, "inactive")


@routes.route("GET", "/v1/addons", "What the caller may buy: active add-ons visible to its "
              "reseller; for a workspace (its own key, or ?workspace_id=) only those applicable to "
              "its plan and sold in its billing period", response=AddonsOut, query=CatalogQuery)
async def offered(request: web.Request) -> web.Response:
    who = await principal(request)
    q = parse_query(request, CatalogQuery)
    found = await catalog.offered_to(services(request), who, q.workspace_id)
    return respond(AddonsOut(addons=[addon_out(a) for a in found]))
