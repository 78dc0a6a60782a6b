"""Resellers (partners of the agency): created by the admin with an API key of role `reseller`
(random, shown once, stored hashed like workspace keys); and the workspace list each caller may
see (admin: all; reseller: its own; a workspace key: none of it, 404)."""
from __future__ import annotations

from datetime import datetime

from service.runtime import ids
from service.runtime.context import Services
from service.workspaces.records import ApiKey, Reseller, Workspace
from service.workspaces.repository import ApiKeys, Resellers, Workspaces
from service.workspaces.workspaces import Principal, hash_key, require_manager


async def create_reseller(svc: Services, name: str, metadata: dict,
                          now: datetime) -> tuple[Reseller, str]:
    """→ (reseller, its API key). The key is not stored, only its hash."""
    reseller = Reseller(ids.reseller_id(now), name, metadata, now)
    await Resellers(svc.db).insert(reseller)
    key = ids.api_key("sk_rs")
    await ApiKeys(svc.db).insert(ApiKey(hash_key(key), "reseller", None, reseller.id, now))
    return reseller, key


async def list_resellers(svc: Services, limit: int,
                         cursor: str | None) -> tuple[list[Reseller], str | None]:
    return await Resellers(svc.db).page(limit, cursor)


async def list_workspaces(svc: Services, principal: Principal, limit: int,
                          cursor: str | None) -> tuple[list[Workspace], str | None]:
    require_manager(principal)
    if principal.role == "reseller" and not principal.reseller_id:
        return [], None            # fail closed: never "the workspaces without a reseller"
    reseller_id = None if principal.role == "admin" else principal.reseller_id
    return await Workspaces(svc.db).page(reseller_id, limit, cursor)
