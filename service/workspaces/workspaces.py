"""Workspaces, API keys and tenancy. Keys are random, shown once, stored as SHA-256 hashes."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from billing import ledger_keys
from billing.errors import (ComplimentaryNeedsPaidPlan, Conflict, NotFound, PaymentRequired,
                            Unauthorized, ValidationFailed)
from billing.money import Money
from billing.periods import first_period
from billing.plans import plan_not_found
from billing.rates import check_categories
from billing.wallet import LedgerIntent
from service.runtime import ids
from service.mongo.docs import to_ms
from service.subscriptions.plans import plan_from_doc
from service.wallet.ledger import MongoLedger, zero_wallet_doc

DEFAULT_ARREARS_LIMIT = Money.idr(15_000)
ORPHAN_CLAIM_AGE_MS = 60_000


@dataclass(frozen=True)
class Principal:
    role: str                      # admin | reseller | workspace
    workspace_id: str | None = None
    reseller_id: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def authenticate(db: AsyncDatabase, admin_token: str, header: str | None) -> Principal:
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("Missing or malformed Authorization header (use: Bearer <key>)")
    token = header[len("Bearer "):].strip()
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal("admin")
    doc = await db.api_keys.find_one({"_id": hash_key(token)}) if token else None
    if doc is None or doc.get("revoked_ms") or _tenant_missing(doc):
        raise Unauthorized("Unknown or revoked API key")
    return Principal(doc["role"], doc.get("workspace_id"), doc.get("reseller_id"))


def _tenant_missing(key_doc: dict) -> bool:
    """A workspace or reseller key must name its tenant: a None would otherwise match every
    workspace without a reseller (fail closed)."""
    field = {"workspace": "workspace_id", "reseller": "reseller_id"}.get(key_doc.get("role"))
    return field is not None and not key_doc.get(field)


async def load_workspace(db: AsyncDatabase, principal: Principal, workspace_id: str) -> dict:
    """The workspace if this caller may see it; 404 otherwise (never reveal other tenants)."""
    doc = await db.workspaces.find_one({"_id": workspace_id})
    visible = doc is not None and (
        principal.role == "admin"
        or (principal.role == "workspace" and principal.workspace_id == workspace_id)
        or (principal.role == "reseller" and doc.get("reseller_id") == principal.reseller_id))
    if not visible:
        raise NotFound("Workspace not found", field="workspace_id")
    return doc


def require_manager(principal: Principal) -> None:
    if principal.role not in ("admin", "reseller"):
        raise NotFound("Not found")


async def claim_phone_numbers(db: AsyncDatabase, workspace_id: str, phones: list[str],
                              now: datetime) -> None:
    """Each phone_number_id belongs to exactly one workspace (unique _id). A claim whose
    workspace was never written (its creator died in between) is taken over once it is older
    than ORPHAN_CLAIM_AGE, so a crashed creation cannot block the numbers forever."""
    docs = [{"_id": p, "workspace_id": workspace_id, "claimed_ms": to_ms(now)} for p in phones]
    try:
        await db.phone_numbers.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        taken = [docs[e["index"]]["_id"] for e in exc.details["writeErrors"] if e["code"] == 11000]
        claims = {d["_id"]: d async for d in db.phone_numbers.find({"_id": {"$in": taken}})}
        others = [p for p in taken if claims.get(p, {}).get("workspace_id") != workspace_id]
        adopted = [p for p in others if await _take_over_orphan(db, claims.get(p), workspace_id, now)]
        really_taken = [p for p in others if p not in adopted]
        if really_taken:  # release only what this call claimed
            claimed_now = [p for p in phones if p not in taken] + adopted
            await db.phone_numbers.delete_many({"_id": {"$in": claimed_now},
                                                "workspace_id": workspace_id})
            raise Conflict("Phone number already belongs to another workspace",
                           field="phone_number_ids", details={"phone_number_ids": really_taken})


async def _take_over_orphan(db: AsyncDatabase, claim: dict | None, workspace_id: str,
                            now: datetime) -> bool:
    if claim is None or to_ms(now) - claim.get("claimed_ms", 0) < ORPHAN_CLAIM_AGE_MS:
        return False
    if await db.workspaces.find_one({"_id": claim["workspace_id"]}, {"_id": 1}):
        return False
    taken = await db.phone_numbers.update_one(
        {"_id": claim["_id"], "workspace_id": claim["workspace_id"]},
        {"$set": {"workspace_id": workspace_id, "claimed_ms": to_ms(now)}})
    return taken.modified_count == 1


async def create_workspace(db: AsyncDatabase, ledger: MongoLedger, principal: Principal, *,
                           name: str, phone_number_ids: list[str], plan: str | None,
                           reseller_id: str | None, now: datetime, tz: ZoneInfo,
                           complimentary: bool = False) -> tuple[dict, str]:
    """The workspace on `plan` from now, its first monthly period granted. A paid plan this way
    is a gift, so it must be `complimentary` (recorded on the subscription); a workspace that
    pays is created on Free and invoiced (service.workspaces.onboarding)."""
    require_manager(principal)
    if principal.role == "reseller":
        reseller_id = principal.reseller_id
    elif reseller_id and not await db.resellers.find_one({"_id": reseller_id}):
        raise ValidationFailed("Unknown reseller", field="reseller_id")
    plan_doc = await db.plans.find_one({"_id": plan or "free"})
    if plan_doc is None:
        known = [d["_id"] async for d in db.plans.find({}, {"_id": 1}).sort("rank", 1)]
        raise plan_not_found(plan, "plan", known)
    _check_complimentary(plan_doc, complimentary)
    workspace_id = ids.workspace_id()
    await claim_phone_numbers(db, workspace_id, phone_number_ids, now)
    period = first_period(now, "monthly", tz)
    await db.wallets.insert_one(zero_wallet_doc(workspace_id, now))
    gift = {"plan": plan_doc["_id"], "period_start": period.start, "period_end": period.end,
            "by": principal.role, "reseller_id": reseller_id, "at": now} if complimentary else None
    await db.subscriptions.insert_one({
        "_id": workspace_id, "plan": plan_doc["_id"], "period": "monthly",
        "anchor": period.start, "current_period_start": period.start,
        "current_period_end": period.end, "status": "active", "scheduled_change": None,
        "complimentary": gift, "created_at": now})
    workspace = {"_id": workspace_id, "name": name, "phone_number_ids": phone_number_ids,
                 "plan": plan_doc["_id"], "reseller_id": reseller_id,
                 "arrears_limit": DEFAULT_ARREARS_LIMIT.amount, "rate_overrides": {},
                 "created_at": now}
    await db.workspaces.insert_one(workspace)
    key = ids.api_key("sk_ws")
    await db.api_keys.insert_one({"_id": hash_key(key), "role": "workspace",
                                  "workspace_id": workspace_id, "created_at": now})
    grant = Money(plan_doc["conversation_grant"]["amount"], "IDR")
    await ledger.post(workspace_id, [LedgerIntent(
        ledger_keys.grant(workspace_id, period.start), "grant", "conversation", grant,
        {"plan": plan_doc["_id"], "period_start": period.start.isoformat(),
         "period_end": period.end.isoformat()})], now)
    return workspace, key


def _check_complimentary(plan_doc: dict, complimentary: bool) -> None:
    paid = plan_from_doc(plan_doc).is_paid("monthly")
    if complimentary and not paid:
        raise ComplimentaryNeedsPaidPlan("Only a paid plan can be complimentary",
                                         field="complimentary")
    if paid and not complimentary:      # service.workspaces.onboarding invoices it instead
        raise PaymentRequired("A paid plan starts when its first invoice is paid", field="plan")


async def replace_workspace_key(db: AsyncDatabase, workspace_id: str,
                                now: datetime) -> tuple[str, int]:
    """A new key for the workspace, shown once; every earlier key of the workspace is revoked
    (a lost or leaked key). Returns (key, how many keys were revoked). The new key is stored
    first: a crash in between leaves the old keys valid, and the retry revokes them."""
    key = ids.api_key("sk_ws")
    await db.api_keys.insert_one({"_id": hash_key(key), "role": "workspace",
                                  "workspace_id": workspace_id, "created_at": now})
    # revoked_ms, an int: NX-27017 stores a boolean written by a top-level $set as 1/0
    revoked = await db.api_keys.update_many(
        {"workspace_id": workspace_id, "role": "workspace", "_id": {"$nin": [hash_key(key)]},
         "revoked_ms": {"$exists": False}},
        {"$set": {"revoked_ms": to_ms(now)}})
    return key, revoked.modified_count


async def update_workspace(db: AsyncDatabase, workspace: dict, changes: dict,
                           now: datetime) -> dict:
    update: dict = {}
    if changes.get("phone_number_ids") is not None:
        new = list(changes["phone_number_ids"])
        await claim_phone_numbers(db, workspace["_id"], new, now)
        dropped = [p for p in workspace["phone_number_ids"] if p not in new]
        await db.phone_numbers.delete_many({"_id": {"$in": dropped}, "workspace_id": workspace["_id"]})
        update["phone_number_ids"] = new
    if changes.get("arrears_limit") is not None:
        update["arrears_limit"] = changes["arrears_limit"]
    if changes.get("rate_overrides") is not None:
        overrides = {category.strip().lower(): amount
                     for category, amount in changes["rate_overrides"].items()}
        check_categories(overrides, "rate_overrides")
        update["rate_overrides"] = {category: {"amount": amount, "currency": "IDR"}
                                    for category, amount in overrides.items()}
    if changes.get("name") is not None:
        update["name"] = changes["name"]
    if update:
        await db.workspaces.update_one({"_id": workspace["_id"]}, {"$set": update})
    return {**workspace, **update}
