"""Resellers (partners of the agency): created by the admin with an API key of role `reseller`
(random, shown once, stored hashed like workspace keys); and the workspace list each caller may
see (admin: all; reseller: its own; a workspace key: none of it, 404)."""
from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from service.invoices.invoices import page
from service.runtime import ids
from service.workspaces.workspaces import Principal, hash_key, require_manager


async def create_reseller(db: AsyncDatabase, name: str, metadata: dict,
                          now: datetime) -> tuple[dict, str]:
    """→ (reseller, its API key). The key is not stored, only its hash."""
    reseller = {"_id": ids.reseller_id(now), "name": name, "metadata": metadata,
                "created_at": now}
    await db.resellers.insert_one(reseller)
    key = ids.api_key("sk_rs")
    await db.api_keys.insert_one({"_id": hash_key(key), "role": "reseller",
                                  "reseller_id": reseller["_id"], "created_at": now})
    return reseller, key


async def list_resellers(db: AsyncDatabase, limit: int,
                         cursor: str | None) -> tuple[list[dict], str | None]:
    return await page(db.resellers, {}, limit, cursor)


async def list_workspaces(db: AsyncDatabase, principal: Principal, limit: int,
                          cursor: str | None) -> tuple[list[dict], str | None]:
    require_manager(principal)
    if principal.role == "reseller" and not principal.reseller_id:
        return [], None            # fail closed: never "the workspaces without a reseller"
    query = {} if principal.role == "admin" else {"reseller_id": principal.reseller_id}
    return await page(db.workspaces, query, limit, cursor)
