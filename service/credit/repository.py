"""Account credit on MongoDB: one document per workspace and currency (`account_credit`,
`_id` `<ws>:<currency>`) holding the balance AND its ledger (`entries`), so both change in one
revision-checked whole-document replace (service/mongo/revisions.py): no transaction, crash-safe
at any line, and the balance always equals the sum of its entries.

`post` is idempotent by the entry's key (a key already in the ledger returns its entry) and
conditional: an `applied` entry takes `usable(balance, want)` from the balance as read, and the
replace succeeds only if nothing wrote the account meanwhile, else it reads again. So however
many invoices race, the credit is consumed once.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from billing.account_credit import CreditAccount, CreditEntry
from billing.money import Money
from service.mongo.once import insert_if_absent
from service.mongo.revisions import Contended, replace_at_revision

ATTEMPTS = 200


def _id(workspace_id: str, currency: str) -> str:
    return f"{workspace_id}:{currency}"


def _entry(d: dict, currency: str) -> CreditEntry:
    return CreditEntry(d["key"], d["kind"], Money(int(d["amount"]), currency), d["at"],
                       int(d["n"]), dict(d.get("meta") or {}))


def record(doc: dict) -> CreditAccount:
    cur = doc["currency"]
    return CreditAccount(doc["workspace_id"], cur, Money(int(doc["balance"]), cur),
                         tuple(_entry(d, cur) for d in doc.get("entries") or ()))


async def accounts(db: AsyncDatabase, workspace_id: str) -> list[CreditAccount]:
    # NX-27017 uses an index for an explicit `$eq` only (service/reconcile/repository.py)
    return [record(d) async for d in db.account_credit.find(
        {"workspace_id": {"$eq": workspace_id}}).sort("currency", 1)]


async def account(db: AsyncDatabase, workspace_id: str, currency: str) -> CreditAccount | None:
    doc = await db.account_credit.find_one({"_id": _id(workspace_id, currency)})
    return record(doc) if doc else None


async def post(db: AsyncDatabase, workspace_id: str, currency: str, key: str, kind: str,
               amount: Callable[[Money], Money], meta: Mapping, now: datetime, *,
               create: bool = True) -> CreditEntry | None:
    """Write the entry `key` once: its signed amount is `amount(balance as read)`; nothing is
    written when that is zero (nor an account created unless `create`). → the entry (the stored
    one if `key` was posted before), None when nothing was written."""
    doc_id = _id(workspace_id, currency)
    for _ in range(ATTEMPTS):
        doc = await db.account_credit.find_one({"_id": doc_id})
        if doc is None:
            if not create:
                return None
            await insert_if_absent(db.account_credit, {
                "_id": doc_id, "workspace_id": workspace_id, "currency": currency,
                "balance": 0, "entries": [], "created_at": now, "rev": 0})
            continue
        held = record(doc)
        if (found := held.entry(key)) is not None:
            return found
        change = amount(held.balance)
        if change.is_zero():
            return None
        n = len(held.entries) + 1
        entry = {"key": key, "kind": kind, "amount": change.amount, "at": now, "n": n,
                 "meta": dict(meta)}
        if await replace_at_revision(db.account_credit, doc, {
                "balance": held.balance.amount + change.amount, "updated_at": now,
                "entries": [*doc.get("entries", []), entry]}):
            return _entry(entry, currency)
        await asyncio.sleep(0)
    raise Contended(f"account credit {doc_id!r} kept changing")
