"""The add-on catalog (`addons`), managed by the agency (admin): create, edit, activate and
deactivate, delete, search; and the reads the buying side needs.

The add-ons are `Addon` records, stored by service/addons/repository.py (`AddonCatalog`); ids
are `ad_…`, time-ordered, and `name` is unique. Deactivating hides an add-on from new
purchases; subscriptions that hold it keep it and renew it. Deleting
(service/addons/deletion.py) is refused (409 `addon_in_use`) while anything still needs the
add-on.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from billing.addon_catalog import patched_quantity, validate_addon
from billing.addons import AddonTerms, normal_visibility
from billing.errors import AddonNameTaken, Conflict, NotFound
from billing.plans import find_plan
from service.addons.records import FIELDS, Addon
from service.addons.repository import AddonCatalog
from service.events import shapes
from service.events.emit import emit
from service.runtime import ids
from service.runtime.context import Services
from service.subscriptions import state as subscription_state
from service.subscriptions.plans import load_plans
from service.workspaces.workspaces import Principal, load_workspace

ADDON_ID = re.compile(r"^ad_[0-9a-z]{1,64}$")


async def get_addon(svc: Services, addon_id: str) -> Addon:
    addon = await AddonCatalog(svc.db).get(addon_id) if ADDON_ID.match(addon_id) else None
    if addon is None:
        raise NotFound("Add-on not found", field="addon_id")
    return addon


async def visible_addon(db: AsyncDatabase, reseller_id: str | None, addon_id: str,
                        field: str = "addon_id") -> AddonTerms:
    """The add-on if a workspace of `reseller_id` may see it; 404 otherwise (never reveal)."""
    addon = await AddonCatalog(db).get_terms(addon_id) if ADDON_ID.match(addon_id) else None
    if addon is None or not addon.visible_to(reseller_id):
        raise NotFound("Add-on not found", field=field)
    return addon


async def catalog(db: AsyncDatabase, ids: Iterable[str] | None = None) -> dict[str, AddonTerms]:
    return await AddonCatalog(db).terms(ids)


async def _validated(db: AsyncDatabase, data: dict, self_id: str) -> dict:
    links = [*(data.get("requires") or []), *(data.get("incompatible_with") or [])]
    visible = (data.get("visibility") or {}).get("resellers")
    listed = visible if isinstance(visible, list) else []
    plans = [d["_id"] async for d in db.plans.find({}, {"_id": 1})]
    addons = await AddonCatalog(db).existing(links)
    resellers = [d["_id"] async for d in db.resellers.find({"_id": {"$in": listed}}, {"_id": 1})]
    clean = validate_addon(data, plans=plans, addons=addons, resellers=resellers,
                           self_id=self_id)
    return {k: clean.get(k) for k in FIELDS}


def _name_taken(name: str) -> Conflict:
    return AddonNameTaken(f"An add-on named {name!r} exists already", field="name")


async def create_addon(svc: Services, data: dict, now: datetime) -> Addon:
    addon_id = ids.addon_id(now)
    addon = Addon(id=addon_id, **await _validated(svc.db, data, addon_id), created_at=now,
                  updated_at=now, rev=0)
    try:
        await AddonCatalog(svc.db).insert(addon)
    except DuplicateKeyError:
        raise _name_taken(addon.name) from None
    await emit(svc.db, "addon.created", addon_id, None, shapes.addon(addon), now)
    return addon


async def update_addon(svc: Services, addon_id: str, changes: dict, now: datetime) -> Addon:
    """A PATCH: the changed fields merged into the add-on, then the whole add-on validated."""
    current = (await get_addon(svc, addon_id)).contract()
    if "visibility" in changes:       # a PATCH of one key keeps the other
        changes = {**changes, "visibility": {**normal_visibility(current["visibility"]),
                                             **changes["visibility"]}}
    merged = await _validated(svc.db, {**current, **changes,
                                       **patched_quantity(current, changes)}, addon_id)
    try:
        addon = await AddonCatalog(svc.db).update(addon_id, merged, now)
    except DuplicateKeyError:
        raise _name_taken(merged["name"]) from None
    if addon is None:
        raise NotFound("Add-on not found", field="addon_id")
    await emit(svc.db, "addon.updated", addon_id, None,
               {**shapes.addon(addon), "changed": sorted(changes)}, now, key=str(addon.rev))
    return addon


async def set_status(svc: Services, addon_id: str, status: str, now: datetime) -> Addon:
    return await update_addon(svc, addon_id, {"status": status}, now)


async def remove(svc: Services, addon: Addon, now: datetime) -> None:
    """Delete the add-on (service/addons/deletion.py checks first that nothing needs it)."""
    await AddonCatalog(svc.db).delete(addon.id)
    await emit(svc.db, "addon.deleted", addon.id, None, shapes.addon(addon), now)


async def referring_to(svc: Services, addon_id: str) -> list[str]:
    """Add-ons that require `addon_id` or are incompatible with it."""
    return await AddonCatalog(svc.db).referring_to(addon_id)


async def list_addons(svc: Services, *, q: str | None, filter_by: str, limit: int,
                      cursor: str | None,
                      plan: str | None = None) -> tuple[list[Addon], str | None]:
    """Newest first; `q` matches name or display name (case-insensitive substring); `plan`:
    only those applicable to that plan (404 `plan_not_found` for an unknown plan)."""
    if plan is not None:
        find_plan(await load_plans(svc.db), plan, field="plan")
    return await AddonCatalog(svc.db).page(q=q, filter_by=filter_by, limit=limit,
                                           cursor=cursor, plan=plan)


async def offered(db: AsyncDatabase, reseller_id: str | None, plan_id: str | None,
                  unit: str | None, *, everyone: bool = False) -> list[Addon]:
    """Active add-ons visible to `reseller_id` (None: a direct customer; `everyone`: the
    admin), and when a plan is given, applicable to it and sold in `unit`."""
    return [addon for addon, terms in await AddonCatalog(db).active()
            if (everyone or terms.visible_to(reseller_id)) and (plan_id is None or (
                terms.applies_to(plan_id) and terms.sold_in(unit)))]


async def offered_to(svc: Services, who: Principal, workspace_id: str | None) -> list[Addon]:
    """`GET /v1/addons`: for a workspace (its own key, or a manager naming one) what it may buy
    now; for a reseller without a workspace, everything visible to it; for the admin, all."""
    if who.role == "workspace":        # another tenant's id: 404 by load_workspace below
        workspace_id = workspace_id or who.workspace_id
    if who.role == "reseller" and not who.reseller_id:
        return []                  # fail closed
    if not workspace_id:
        return await offered(svc.db, who.reseller_id, None, None,
                             everyone=who.role == "admin")
    workspace = await load_workspace(svc, who, workspace_id)
    plan_id, unit = await subscription_state.plan_and_unit(svc, workspace.id)
    return await offered(svc.db, workspace.reseller_id, plan_id, unit)
