"""The add-on catalog (`addons`), managed by the agency (admin): create, edit, activate and
deactivate, delete, search; and the reads the buying side needs.

An add-on document is the contract's add-on shape (§4b) with `_id` (`ad_…`, time-ordered),
`created_at`, `updated_at` and `rev`. Edits are a revision-checked replace
(service/mongo/revisions.py: the document holds datetimes and booleans). `name` is unique (an
index). Deactivating hides an add-on from new purchases; subscriptions that hold it keep it and
renew it. Deleting (service/addons/deletion.py) is refused (409 `addon_in_use`) while anything
still needs the add-on.
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
from service.addons.records import FIELDS, Addon, addon_from_doc
from service.mongo.cursors import page
from service.mongo.events import emit
from service.mongo.revisions import swap
from service.runtime import ids
from service.runtime.context import Services
from service.subscriptions import state as subscription_state
from service.workspaces.workspaces import Principal, load_workspace

ADDON_ID = re.compile(r"^ad_[0-9a-z]{1,64}$")
FILTERS = {"all": {}, "active": {"status": "active"}, "inactive": {"status": "inactive"},
           "one_time": {"billing": "one_time"}, "recurring": {"billing": "recurring"}}


def terms(doc: dict) -> AddonTerms:
    return AddonTerms.from_data({**doc, "id": doc["_id"]})


async def _addon_doc(db: AsyncDatabase, addon_id: str) -> dict:
    doc = await db.addons.find_one({"_id": addon_id}) if ADDON_ID.match(addon_id) else None
    if doc is None:
        raise NotFound("Add-on not found", field="addon_id")
    return doc


async def get_addon(svc: Services, addon_id: str) -> Addon:
    return addon_from_doc(await _addon_doc(svc.db, addon_id))


async def visible_addon(db: AsyncDatabase, reseller_id: str | None, addon_id: str,
                        field: str = "addon_id") -> AddonTerms:
    """The add-on if a workspace of `reseller_id` may see it; 404 otherwise (never reveal)."""
    doc = await db.addons.find_one({"_id": addon_id}) if ADDON_ID.match(addon_id) else None
    addon = terms(doc) if doc else None
    if addon is None or not addon.visible_to(reseller_id):
        raise NotFound("Add-on not found", field=field)
    return addon


async def catalog(db: AsyncDatabase, ids: Iterable[str] | None = None) -> dict[str, AddonTerms]:
    query = {} if ids is None else {"_id": {"$in": sorted(set(ids))}}
    return {d["_id"]: terms(d) async for d in db.addons.find(query)}


async def _validated(db: AsyncDatabase, data: dict, self_id: str) -> dict:
    links = [*(data.get("requires") or []), *(data.get("incompatible_with") or [])]
    visible = (data.get("visibility") or {}).get("resellers")
    listed = visible if isinstance(visible, list) else []
    plans = [d["_id"] async for d in db.plans.find({}, {"_id": 1})]
    addons = [d["_id"] async for d in db.addons.find({"_id": {"$in": links}}, {"_id": 1})]
    resellers = [d["_id"] async for d in db.resellers.find({"_id": {"$in": listed}}, {"_id": 1})]
    clean = validate_addon(data, plans=plans, addons=addons, resellers=resellers,
                           self_id=self_id)
    return {k: clean.get(k) for k in FIELDS}


def _name_taken(name: str) -> Conflict:
    return AddonNameTaken(f"An add-on named {name!r} exists already", field="name")


async def create_addon(svc: Services, data: dict, now: datetime) -> Addon:
    addon_id = ids.addon_id(now)
    doc = {"_id": addon_id, **await _validated(svc.db, data, addon_id), "created_at": now,
           "updated_at": now, "rev": 0}
    try:
        await svc.db.addons.insert_one(doc)
    except DuplicateKeyError:
        raise _name_taken(doc["name"]) from None
    await emit(svc.db, "addon.created", addon_id, None, _event_data(doc), now)
    return addon_from_doc(doc)


async def update_addon(svc: Services, addon_id: str, changes: dict, now: datetime) -> Addon:
    """A PATCH: the changed fields merged into the add-on, then the whole add-on validated."""
    current = await _addon_doc(svc.db, addon_id)
    if "visibility" in changes:       # a PATCH of one key keeps the other
        changes = {**changes, "visibility": {**normal_visibility(current.get("visibility")),
                                             **changes["visibility"]}}
    merged = await _validated(svc.db, {**{k: current.get(k) for k in FIELDS}, **changes,
                                       **patched_quantity(current, changes)}, addon_id)
    try:
        doc = await swap(svc.db.addons, {"_id": addon_id}, {**merged, "updated_at": now})
    except DuplicateKeyError:
        raise _name_taken(merged["name"]) from None
    if doc is None:
        raise NotFound("Add-on not found", field="addon_id")
    await emit(svc.db, "addon.updated", addon_id, None,
               {**_event_data(doc), "changed": sorted(changes)}, now, key=str(doc["rev"]))
    return addon_from_doc(doc)


async def set_status(svc: Services, addon_id: str, status: str, now: datetime) -> Addon:
    return await update_addon(svc, addon_id, {"status": status}, now)


async def remove(svc: Services, addon: Addon, now: datetime) -> None:
    """Delete the add-on (service/addons/deletion.py checks first that nothing needs it)."""
    await svc.db.addons.delete_one({"_id": addon.id})
    await emit(svc.db, "addon.deleted", addon.id, None, _event_data(
        {"_id": addon.id, "name": addon.name, "type": addon.type, "billing": addon.billing,
         "status": addon.status}), now)


async def referring_to(svc: Services, addon_id: str) -> list[str]:
    """Add-ons that require `addon_id` or are incompatible with it."""
    return [d["_id"] async for d in svc.db.addons.find(
        {"$or": [{"requires": addon_id}, {"incompatible_with": addon_id}]}, {"_id": 1})]


async def list_addons(svc: Services, *, q: str | None, filter_by: str, limit: int,
                      cursor: str | None) -> tuple[list[Addon], str | None]:
    """Newest first; `q` matches name or display name (case-insensitive substring)."""
    query: dict = dict(FILTERS[filter_by])
    if q:
        pattern = {"$regex": re.escape(q), "$options": "i"}
        query["$or"] = [{"name": pattern}, {"display_name": pattern}]
    docs, next_cursor = await page(svc.db.addons, query, limit, cursor)
    return [addon_from_doc(d) for d in docs], next_cursor


async def offered(db: AsyncDatabase, reseller_id: str | None, plan_id: str | None,
                  unit: str | None, *, everyone: bool = False) -> list[Addon]:
    """Active add-ons visible to `reseller_id` (None: a direct customer; `everyone`: the
    admin), and when a plan is given, applicable to it and sold in `unit`."""
    out = []
    async for doc in db.addons.find({"status": "active"}).sort("_id", -1):
        addon = terms(doc)
        if (everyone or addon.visible_to(reseller_id)) and (plan_id is None or (
                addon.applies_to(plan_id) and addon.sold_in(unit))):
            out.append(addon_from_doc(doc))
    return out


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


def _event_data(doc: dict) -> dict:
    return {"addon_id": doc["_id"], "name": doc["name"], "type": doc["type"],
            "billing": doc["billing"], "status": doc["status"]}
