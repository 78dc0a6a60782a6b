"""Partners → Add-ons (issue 13): the agency's add-on catalog in the browser, over the admin API's
use cases (service/addons/catalog.py, deletion.py) — list with status and visibility, search,
filter, pages; enable/disable per row (holders keep it); Create / Edit Add-on
(handlers/panel/addon_form.py: the API's own request model, its errors at their fields);
delete (refused while anything holds it). A reseller sees, read-only, the active add-ons visible
to it (as `GET /v1/addons` answers its key); the editor is the admin's (404 for a reseller)."""
from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from billing.errors import AddonInUse, BillingError, ValidationFailed
from handlers.addons import addon_data
from handlers.http import request_now, services
from handlers.panel import addon_form
from handlers.panel.addon_form import FormErrors
from handlers.panel.web import WHO, panel_page, render
from handlers.portal.i18n import _
from handlers.portal.messages import error_text
from handlers.portal.web import redirect
from service.addons import catalog, deletion
from service.addons.records import Addon
from service.subscriptions.plans import list_plans
from service.workspaces.resellers import list_resellers

routes = web.RouteTableDef()
PAGE = 20
FILTERS = ("all", "active", "inactive", "one_time", "recurring")
MAX_CHOICES = 200          # resellers and add-ons offered as checkboxes on the form
BASIC = {"name", "display_name", "applicable_plans", "type", "consumption", "periods", "billing",
         "currency", "pricing_scheme", "price_monthly", "price_quarterly", "price_yearly",
         "visibility", "status", "_form", "_delete"}      # fields outside "More options"


def type_names() -> dict[str, str]:
    return {"users": _("Users"), "contacts": _("Contacts"),
            "conversation_credit": _("WhatsApp conversations"),
            "broadcast_credit": _("Broadcast messages"), "feature": _("Feature")}


def unit_names() -> dict[str, str]:
    return {"monthly": _("Monthly"), "quarterly": _("Quarterly"), "yearly": _("Yearly")}


def one_time_names() -> dict[str, str]:
    return {"monthly": _("One-time, monthly plan"), "quarterly": _("One-time, quarterly plan"),
            "yearly": _("One-time, yearly plan")}


def price_labels(addon: Addon) -> list[tuple[str, dict]]:
    """The catalog's prices as the list names them: a recurring add-on's per period (Monthly:
    …); a one-time add-on is bought once, at the price for the buyer's plan period, so it shows
    one price when those agree (One-time: …) and otherwise each with its plan period."""
    entries = [(unit, entry) for unit, entry in addon.periods.items() if entry]
    if addon.billing == "recurring":
        names = unit_names()
    elif all(entry == entries[0][1] for _unit, entry in entries):
        return [(_("One-time"), entries[0][1])] if entries else []
    else:
        names = one_time_names()
    return [(names.get(unit, unit), entry) for unit, entry in entries]


def _query(request: web.Request) -> tuple[str, str]:
    q = "".join(c for c in request.query.get("q", "") if c.isprintable()).strip()[:100]
    filter_by = request.query.get("filter_by", "all")
    return q, filter_by if filter_by in FILTERS else "all"


@routes.get("/panel/addons")
@panel_page()
async def addon_list(request: web.Request) -> web.StreamResponse:
    svc, who = services(request), request[WHO]
    q, filter_by = _query(request)
    resellers = {r.id: r.name for r in (await list_resellers(svc, MAX_CHOICES, None))[0]} \
        if who.role == "admin" else {}
    if who.role == "admin":
        try:
            found, older = await catalog.list_addons(svc, q=q or None, filter_by=filter_by,
                                                     limit=PAGE,
                                                     cursor=request.query.get("cursor") or None)
        except BillingError:
            return render(request, "panel/error.html", {"message": _(
                "This page link is not valid. Open the add-ons again.")}, status=400)
    else:                       # what GET /v1/addons offers the reseller's workspaces
        offered = await catalog.offered_to(svc, who, None)
        found = [a for a in offered if q.lower() in f"{a.name} {a.display_name}".lower()]
        older = None
    here = urlencode({k: v for k, v in (("q", q), ("filter_by", filter_by)) if v})
    return render(request, "panel/addons/index.html", {
        "addons": found, "older": older, "q": q, "filter_by": filter_by, "here": here,
        "paged": "cursor" in request.query, "resellers": resellers, "types": type_names(),
        "prices": {a.id: price_labels(a) for a in found}, "saved": request.query.get("saved"),
        "deleted": request.query.get("deleted")})


@routes.post("/panel/addons/{addon_id}/status")
@panel_page(admin=True)
async def toggle(request: web.Request) -> web.StreamResponse:
    """Enable or disable: a disabled add-on is not sold any more; holders keep it."""
    svc = services(request)
    addon = await catalog.get_addon(svc, request.match_info["addon_id"])
    form = await request.post()
    status = "active" if form.get("status") == "active" else "inactive"
    await catalog.set_status(svc, addon.id, status, request_now(request))
    back = str(form.get("back", ""))
    return redirect(f"/panel/addons?{back}" if "/" not in back else "/panel/addons")


@routes.get("/panel/addons/new")
@panel_page(admin=True)
async def new_form(request: web.Request) -> web.StreamResponse:
    return await _form(request, None, addon_form.values_of(None), {})


@routes.post("/panel/addons/new")
@panel_page(admin=True)
async def create(request: web.Request) -> web.StreamResponse:
    return await _save(request, None)


@routes.get("/panel/addons/{addon_id}/edit")
@panel_page(admin=True)
async def edit_form(request: web.Request) -> web.StreamResponse:
    addon = await catalog.get_addon(services(request), request.match_info["addon_id"])
    return await _form(request, addon, addon_form.values_of(addon), {})


@routes.post("/panel/addons/{addon_id}/edit")
@panel_page(admin=True)
async def update(request: web.Request) -> web.StreamResponse:
    addon = await catalog.get_addon(services(request), request.match_info["addon_id"])
    return await _save(request, addon)


@routes.post("/panel/addons/{addon_id}/delete")
@panel_page(admin=True)
async def delete(request: web.Request) -> web.StreamResponse:
    """Delete, or say why not: held by subscriptions, in open orders, named by other add-ons."""
    svc = services(request)
    addon = await catalog.get_addon(svc, request.match_info["addon_id"])
    try:
        await deletion.delete_addon(svc, addon.id, request_now(request))
    except AddonInUse as exc:
        used = exc.details or {}
        message = _("This add-on cannot be deleted: %(subscriptions)s subscriptions hold it, "
                    "%(orders)s open orders contain it and %(addons)s other add-ons refer to "
                    "it. Disable it instead: it is no longer sold, and holders keep it.",
                    subscriptions=used.get("subscriptions", 0),
                    orders=used.get("open_orders", 0),
                    addons=len(used.get("referenced_by") or []))
        return await _form(request, addon, addon_form.values_of(addon), {"_delete": message},
                           status=409)
    return redirect("/panel/addons?deleted=1")


async def _save(request: web.Request, addon: Addon | None) -> web.StreamResponse:
    """Create or edit through the API's model and use case; every refusal at its field."""
    svc, now = services(request), request_now(request)
    form = await request.post()
    try:
        model = addon_form.validated(addon_form.body_of(form), new=addon is None)
        data = addon_data(model, partial=addon is not None)
        if addon is None:
            saved = await catalog.create_addon(svc, data, now)
        else:
            saved = await catalog.update_addon(svc, addon.id, data, now)
    except FormErrors as exc:
        return await _form(request, addon, addon_form.values_of(addon, form), exc.errors, 422)
    except BillingError as exc:
        field = addon_form.form_field(exc.field)
        return await _form(request, addon, addon_form.values_of(addon, form),
                           {field: _error(exc, field)}, 422)
    return redirect("/panel/addons?" + urlencode({"q": saved.name, "saved": saved.name}))


def _error(exc: BillingError, field: str) -> str:
    if exc.code == "addon_name_taken":
        return _("Another add-on already has this name.")
    if exc.code == "plan_not_found":
        return _("Choose plans from the list.")
    if isinstance(exc, ValidationFailed) and field == "applicable_plans":
        return _("Choose at least one plan.")
    if isinstance(exc, ValidationFailed) and field.startswith("price_") and "missing" in \
            exc.message:
        return _("Enter the price for this period.")
    if isinstance(exc, ValidationFailed):
        return _refusal(field, exc.details or {})
    return error_text(exc)


def _refusal(field: str, details: dict) -> str:
    """The catalog's refusal (billing/addon_catalog.py: English, in the API's field names; its
    `details` say which case it is) → what to change, in the page's language; a refusal not
    listed here: "Check this value." at its field."""
    if field == "max_quantity":
        if "bracket_up_to" in details:
            return _("Keep the maximum quantity within the last price bracket.")
        if details.get("allow_multiple") is True:
            return _("Enter a maximum quantity of 2 or more when a customer may buy several "
                     "units.")
        if details.get("allow_multiple") is False:
            return _("Enter a maximum quantity of 1, or allow multiple.")
        return _("Enter a maximum quantity of 1 or more.")
    if field in ("requires", "incompatible_with"):
        if details.get("itself"):
            return _("An add-on cannot refer to itself.")
        if "addons" in details:
            return _("An add-on cannot both require and exclude the same add-on.")
        return _("Choose add-ons from the list.")
    known = {
        "periods": _("Choose at least one period."),
        "consumption": _("Enter what one unit adds: 1 or more (0 only for a feature)."),
        "entitlements": _("A feature add-on grants at least one entitlement, for example "
                          "api_access."),
        "limits": _("Write one limit a line: key action value, for example users increment 5 "
                    "or contacts set unlimited."),
    }
    return known.get(field) or _("Check this value.")


async def _form(request: web.Request, addon: Addon | None, values: dict, errors: dict,
                status: int = 200) -> web.Response:
    svc = services(request)
    plans = [p.terms for p in await list_plans(svc)]
    resellers = (await list_resellers(svc, MAX_CHOICES, None))[0]
    others = [a for a in (await catalog.list_addons(svc, q=None, filter_by="all",
                                                    limit=MAX_CHOICES, cursor=None))[0]
              if addon is None or a.id != addon.id]
    return render(request, "panel/addons/form.html", {
        "addon": addon, "v": values, "errors": errors, "plans": plans, "resellers": resellers,
        "others": others, "more_open": any(k not in BASIC for k in errors), "types": type_names(), "units": unit_names(),
        "currencies": addon_form.CURRENCIES, "schemes": addon_form.SCHEMES}, status=status)
