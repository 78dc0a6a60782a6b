"""The only code that sees the `workspaces`, `api_keys`, `resellers` and `phone_numbers`
documents: each repository turns them into records (service/workspaces/records.py) and back."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from billing.billing_info import BillingInfo
from billing.money import Money
from service.mongo.cursors import page
from service.mongo.docs import from_ms, money_from_doc, money_to_doc, to_ms
from service.mongo.filters import explicit
from service.workspaces.records import ApiKey, PhoneClaim, Reseller, Workspace


def workspace_from_doc(doc: dict) -> Workspace:
    return Workspace(
        id=doc["_id"], name=doc.get("name", ""),
        phone_number_ids=tuple(doc.get("phone_number_ids") or ()), plan=doc.get("plan", "free"),
        reseller_id=doc.get("reseller_id"), arrears_limit=Money.idr(doc.get("arrears_limit", 0)),
        rate_overrides={c: money_from_doc(m) for c, m in (doc.get("rate_overrides") or {}).items()},
        created_at=doc.get("created_at"),
        billing_info=BillingInfo(**doc["billing_info"]) if doc.get("billing_info") else None)


def workspace_to_doc(ws: Workspace) -> dict:
    return {"_id": ws.id, "name": ws.name, "phone_number_ids": list(ws.phone_number_ids),
            "plan": ws.plan, "reseller_id": ws.reseller_id,
            "arrears_limit": ws.arrears_limit.amount,
            "rate_overrides": {c: money_to_doc(m) for c, m in ws.rate_overrides.items()},
            "created_at": ws.created_at,
            "billing_info": ws.billing_info.to_dict() if ws.billing_info else None}


class Workspaces:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.workspaces

    async def get(self, workspace_id: str) -> Workspace | None:
        doc = await self.collection.find_one({"_id": workspace_id})
        return None if doc is None else workspace_from_doc(doc)

    async def exists(self, workspace_id: str) -> bool:
        return await self.collection.find_one({"_id": workspace_id}, {"_id": 1}) is not None

    async def many(self, workspace_ids: Iterable[str]) -> list[Workspace]:
        """Those of these workspaces that exist (one find)."""
        return [workspace_from_doc(d) async for d in
                self.collection.find({"_id": {"$in": list(workspace_ids)}})]

    async def ratings(self, workspace_ids: Iterable[str]) -> dict[str, tuple[str, dict[str, Money]]]:
        """id → (plan, rate overrides) of those that exist: the rate card's fields only (one
        find; WhatsApp routing reads it for every cold phone number). Not projected: NX-27017
        spends more CPU on a projected document than on a whole one (README, Benchmarks)."""
        return {d["_id"]: (d.get("plan", "free"), {c: money_from_doc(m) for c, m in
                                                    (d.get("rate_overrides") or {}).items()})
                async for d in self.collection.find({"_id": {"$in": list(workspace_ids)}})}

    async def insert(self, ws: Workspace) -> None:
        await self.collection.insert_one(workspace_to_doc(ws))

    async def save(self, ws: Workspace, fields: Iterable[str]) -> None:
        """Writes these fields of `ws` only (a concurrent change of another field survives)."""
        doc = workspace_to_doc(ws)
        changed = {k: doc[k] for k in fields}
        if changed:
            await self.collection.update_one({"_id": ws.id}, {"$set": changed})

    async def set_billing_info(self, workspace_id: str, info: BillingInfo) -> None:
        """A sub-document of strings: `$set` keeps it as it is on NX-27017 too."""
        await self.collection.update_one({"_id": workspace_id},
                                         {"$set": {"billing_info": info.to_dict()}})

    async def set_plan(self, workspace_id: str, plan_id: str) -> None:
        await self.collection.update_one({"_id": workspace_id, "plan": {"$ne": plan_id}},
                                         {"$set": {"plan": plan_id}})

    async def page(self, reseller_id: str | None, limit: int,
                   cursor: str | None) -> tuple[list[Workspace], str | None]:
        """All workspaces (None), or one reseller's."""
        return await self.search(reseller_id, None, None, limit, cursor)

    async def search(self, reseller_id: str | None, name: str | None, plan: str | None,
                     limit: int, cursor: str | None) -> tuple[list[Workspace], str | None]:
        """`page`, narrowed to names containing `name` (any case) and to one plan."""
        query: dict = {} if reseller_id is None else {"reseller_id": reseller_id}
        if name:
            query["name"] = {"$regex": re.escape(name), "$options": "i"}
        if plan:
            query["plan"] = plan
        docs, next_cursor = await page(self.collection, query, limit, cursor)
        return [workspace_from_doc(d) for d in docs], next_cursor


class ApiKeys:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.api_keys

    async def get(self, key_hash: str) -> ApiKey | None:
        doc = await self.collection.find_one({"_id": key_hash})
        if doc is None:
            return None
        return ApiKey(doc["_id"], doc.get("role", ""), doc.get("workspace_id"),
                      doc.get("reseller_id"), doc.get("created_at"),
                      bool(doc.get("revoked_ms")))

    async def insert(self, key: ApiKey) -> None:
        doc = {"_id": key.hash, "role": key.role, "created_at": key.created_at}
        doc.update({"workspace_id": key.workspace_id} if key.role == "workspace"
                   else {"reseller_id": key.reseller_id})
        await self.collection.insert_one(doc)

    async def revoke_workspace_keys(self, workspace_id: str, keep: str, now: datetime) -> int:
        """Revokes every key of the workspace but `keep`; → how many."""
        # revoked_ms, an int: NX-27017 stores a boolean written by a top-level $set as 1/0
        revoked = await self.collection.update_many(explicit(
            {"workspace_id": workspace_id, "role": "workspace", "_id": {"$nin": [keep]},
             "revoked_ms": {"$exists": False}}),
            {"$set": {"revoked_ms": to_ms(now)}})
        return revoked.modified_count


class Resellers:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.resellers

    async def insert(self, reseller: Reseller) -> None:
        await self.collection.insert_one({"_id": reseller.id, "name": reseller.name,
                                          "metadata": dict(reseller.metadata),
                                          "created_at": reseller.created_at})

    async def exists(self, reseller_id: str) -> bool:
        return await self.collection.find_one({"_id": reseller_id}, {"_id": 1}) is not None

    async def get(self, reseller_id: str) -> Reseller | None:
        d = await self.collection.find_one({"_id": reseller_id})
        return None if d is None else Reseller(d["_id"], d.get("name", ""),
                                               d.get("metadata") or {}, d.get("created_at"))

    async def page(self, limit: int, cursor: str | None) -> tuple[list[Reseller], str | None]:
        docs, next_cursor = await page(self.collection, {}, limit, cursor)
        return [Reseller(d["_id"], d.get("name", ""), d.get("metadata") or {},
                         d.get("created_at")) for d in docs], next_cursor


class PhoneNumbers:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.phone_numbers

    async def insert_new(self, workspace_id: str, phones: list[str], now: datetime) -> list[str]:
        """Claims each number not claimed yet (unique _id); → those already claimed."""
        # claimed_ms, an int: NX-27017 compares datetimes as strings (service.mongo.docs.to_ms)
        docs = [{"_id": p, "workspace_id": workspace_id, "claimed_ms": to_ms(now)}
                for p in phones]
        try:
            await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            return [docs[e["index"]]["_id"] for e in exc.details["writeErrors"]
                    if e["code"] == 11000]
        return []

    async def claims(self, phones: list[str]) -> dict[str, PhoneClaim]:
        return {d["_id"]: PhoneClaim(d["_id"], d["workspace_id"], from_ms(d.get("claimed_ms", 0)))
                async for d in self.collection.find({"_id": {"$in": phones}})}

    async def owners(self, phones: list[str]) -> dict[str, str]:
        """phone → its workspace id, for the numbers claimed (one find)."""
        return {d["_id"]: d["workspace_id"] async for d in self.collection.find({"_id": {"$in": phones}})}

    async def take_over(self, claim: PhoneClaim, workspace_id: str, now: datetime) -> bool:
        """Moves `claim` to `workspace_id` unless someone else moved it first."""
        taken = await self.collection.update_one(
            {"_id": claim.phone_number_id, "workspace_id": claim.workspace_id},
            {"$set": {"workspace_id": workspace_id, "claimed_ms": to_ms(now)}})
        return taken.modified_count == 1

    async def release(self, workspace_id: str, phones: list[str]) -> None:
        await self.collection.delete_many({"_id": {"$in": phones}, "workspace_id": workspace_id})
