"""Workspaces, API keys and tenancy. Keys are random, shown once, stored as SHA-256 hashes."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from billing.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from billing.money import Money
from billing.periods import first_period
from billing.wallet import LedgerIntent
from service.ledger import MongoLedger, zero_wallet_doc

DEFAULT_ARREARS_LIMIT = Money.idr(15_000)


@dataclass(frozen=True)
class Principal:
    role: str                      # admin | reseller | workspace
    workspace_id: str | None = None
    reseller_id: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


async def authenticate(db: AsyncDatabase, admin_token: str, header: str | None) -> Principal:
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("Missing or malformed Authorization header (use: Bearer <key>)")
    token = header[len("Bearer "):].strip()
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal("admin")
    doc = await db.api_keys.find_one({"_id": hash_key(token)}) if token else None
    if doc is None or doc.get("revoked"):
        raise Unauthorized("Unknown or revoked API key")
    return Principal(doc["role"], doc.get("workspace_id"), doc.get("reseller_id"))


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


async def claim_phone_numbers(db: AsyncDatabase, workspace_id: str, phones: list[str]) -> None:
    """Each phone_number_id belongs to exactly one workspace (unique _id)."""
    docs = [{"_id": p, "workspace_id": workspace_id} for p in phones]
    try:
        await db.phone_numbers.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        taken = [docs[e["index"]]["_id"] for e in exc.details["writeErrors"] if e["code"] == 11000]
        owners = {d["_id"]: d["workspace_id"] async for d in
                  db.phone_numbers.find({"_id": {"$in": taken}})}
        really_taken = [p for p in taken if owners.get(p) != workspace_id]
        if really_taken:
            mine = [p for p in phones if p not in taken]
            await db.phone_numbers.delete_many({"_id": {"$in": mine}, "workspace_id": workspace_id})
            raise Conflict("Phone number already belongs to another workspace",
                           field="phone_number_ids", details={"phone_number_ids": really_taken})


async def create_workspace(db: AsyncDatabase, ledger: MongoLedger, principal: Principal, *,
                           name: str, phone_number_ids: list[str], plan: str | None,
                           reseller_id: str | None, now: datetime, tz: ZoneInfo) -> tuple[dict, str]:
    require_manager(principal)
    if principal.role == "reseller":
        reseller_id = principal.reseller_id
    elif reseller_id and not await db.resellers.find_one({"_id": reseller_id}):
        raise ValidationFailed("Unknown reseller", field="reseller_id")
    plan_doc = await db.plans.find_one({"_id": plan or "free"})
    if plan_doc is None:
        raise ValidationFailed(f"Unknown plan {plan!r}", code="plan_not_found", field="plan")
    workspace_id = f"ws_{secrets.token_hex(8)}"
    await claim_phone_numbers(db, workspace_id, phone_number_ids)
    period = first_period(now, "monthly", tz)
    await db.wallets.insert_one(zero_wallet_doc(workspace_id, now))
    await db.subscriptions.insert_one({
        "_id": workspace_id, "plan": plan_doc["_id"], "period": "monthly",
        "anchor": period.start, "current_period_start": period.start,
        "current_period_end": period.end, "status": "active", "scheduled_change": None,
        "created_at": now})
    workspace = {"_id": workspace_id, "name": name, "phone_number_ids": phone_number_ids,
                 "plan": plan_doc["_id"], "reseller_id": reseller_id,
                 "arrears_limit": DEFAULT_ARREARS_LIMIT.amount, "rate_overrides": {},
                 "created_at": now}
    await db.workspaces.insert_one(workspace)
    key = new_key("sk_ws")
    await db.api_keys.insert_one({"_id": hash_key(key), "role": "workspace",
                                  "workspace_id": workspace_id, "created_at": now})
    grant = Money(plan_doc["conversation_grant"]["amount"], "IDR")
    await ledger.post(workspace_id, [LedgerIntent(
        f"grant:{workspace_id}:{period.start.isoformat()}", "grant", "conversation", grant,
        {"plan": plan_doc["_id"], "period_start": period.start.isoformat(),
         "period_end": period.end.isoformat()})], now)
    return workspace, key


async def update_workspace(db: AsyncDatabase, workspace: dict, changes: dict) -> dict:
    update: dict = {}
    if changes.get("phone_number_ids") is not None:
        new = list(changes["phone_number_ids"])
        await claim_phone_numbers(db, workspace["_id"], new)
        dropped = [p for p in workspace["phone_number_ids"] if p not in new]
        await db.phone_numbers.delete_many({"_id": {"$in": dropped}, "workspace_id": workspace["_id"]})
        update["phone_number_ids"] = new
    if changes.get("arrears_limit") is not None:
        update["arrears_limit"] = changes["arrears_limit"]
    if changes.get("rate_overrides") is not None:
        update["rate_overrides"] = {category.strip().lower(): {"amount": amount, "currency": "IDR"}
                                    for category, amount in changes["rate_overrides"].items()}
    if changes.get("name") is not None:
        update["name"] = changes["name"]
    if update:
        await db.workspaces.update_one({"_id": workspace["_id"]}, {"$set": update})
    return {**workspace, **update}
