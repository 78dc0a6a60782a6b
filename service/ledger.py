"""The wallet ledger on MongoDB: exactly-once, crash-safe, without multi-document transactions.

Why no transactions: NX-27017 (the embedded store) runs transactions as SQLite savepoints on one
shared connection, so two concurrent transactions corrupt each other ("no such savepoint",
aborted writes surviving). The protocol below needs only single-document atomicity, which both
NX-27017 and MongoDB guarantee.

Protocol for `post(workspace, intents)`:
1. Every intent is inserted as a ledger document `{_id: key, state: "pending", intent…}`. A
   duplicate key means the intent already exists; the stored intent wins.
2. Read the wallet `{seq, balances, last}`. `last` holds the entries applied by the update that
   produced `seq`; finalize them (mark their ledger docs applied, insert derived ones). Entries
   applied at an earlier seq were finalized before that seq was written.
3. Intents whose docs are still pending and are not in `last` are unapplied: apply them in
   order (pure `billing.wallet.apply_intent`) and write the wallet with one conditional update
   `{_id, seq: n} → {seq: n+1, balances, last: new entries}`. A lost race retries from 2.
4. Finalize the new entries (best effort: the next writer or the sweep does it otherwise).

A process killed at any line leaves either pending intents (applied by the next post of the
same key, or by `apply_stale_pending`) or an unfinalized `last` (finalized by the next writer).
Balances == sum of applied entries + unfinalized `last` entries, always.

Concurrent posts to one wallet inside a process are group-committed: one drain task per wallet
applies everything queued in one conditional update.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from billing.money import Money
from billing.wallet import BALANCE_KINDS, Buckets, Entry, LedgerIntent, apply_intent
from service.docs import (buckets_from_doc, buckets_to_doc, entry_from_doc, entry_to_doc,
                          intent_from_doc, intent_to_doc)

log = logging.getLogger("saldo.ledger")
MAX_INTENTS_PER_APPLY = 400
ORDER_STRIDE = 1000  # entry order = seq * ORDER_STRIDE + index; <= 2 entries per intent


class ConcurrentUpdate(Exception):
    pass


class MongoLedger:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._queues: dict[str, list[tuple[list[LedgerIntent], datetime, asyncio.Future]]] = {}
        self._drains: dict[str, asyncio.Task] = {}

    async def post(self, workspace_id: str, intents: list[LedgerIntent],
                   now: datetime) -> dict[str, list[Entry]]:
        if not intents:
            return {}
        future = asyncio.get_running_loop().create_future()
        self._queues.setdefault(workspace_id, []).append((intents, now, future))
        if workspace_id not in self._drains:
            self._drains[workspace_id] = asyncio.create_task(self._drain(workspace_id))
        return await asyncio.shield(future)

    async def _drain(self, workspace_id: str) -> None:
        try:
            while self._queues.get(workspace_id):
                queued = self._queues.pop(workspace_id)
                intents = [i for batch, _, _ in queued for i in batch]
                now = max(n for _, n, _ in queued)
                try:
                    entries = await self.apply(workspace_id, intents, now)
                except Exception as exc:  # every waiter hears about it
                    for _, _, future in queued:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for batch, _, future in queued:
                    if not future.done():
                        future.set_result({i.key: entries.get(i.key, []) for i in batch})
        finally:
            self._drains.pop(workspace_id, None)

    async def apply(self, workspace_id: str, intents: list[LedgerIntent],
                    now: datetime) -> dict[str, list[Entry]]:
        unique = list({i.key: i for i in reversed(intents)}.values())[::-1]
        results: dict[str, list[Entry]] = {}
        for start in range(0, len(unique), MAX_INTENTS_PER_APPLY):
            chunk = unique[start:start + MAX_INTENTS_PER_APPLY]
            await self._insert_pending(workspace_id, chunk, now)
            for attempt in range(1000):
                try:
                    results.update(await self._apply_once(workspace_id, [i.key for i in chunk], now))
                    break
                except ConcurrentUpdate:
                    await asyncio.sleep(0 if attempt < 3 else 0.001 * min(attempt, 50))
            else:
                raise RuntimeError(f"wallet {workspace_id} stayed contended")
        return results

    async def _insert_pending(self, workspace_id: str, intents: list[LedgerIntent],
                              now: datetime) -> None:
        docs = [intent_to_doc(workspace_id, i, now) for i in intents]
        try:
            await self.db.ledger.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise

    async def _apply_once(self, workspace_id: str, keys: list[str],
                          now: datetime) -> dict[str, list[Entry]]:
        wallet = await self.db.wallets.find_one({"_id": workspace_id})
        if wallet is None:
            raise LookupError(f"no wallet for workspace {workspace_id}")
        last = wallet.get("last") or []
        if last:
            await self.finalize(last)
        docs = {d["_id"]: d async for d in self.db.ledger.find({"_id": {"$in": keys}})}
        done_in_last = {d["intent_key"] for d in last}
        todo = [docs[k] for k in keys if docs[k]["state"] == "pending" and k not in done_in_last]
        results = await self._existing_results(keys, docs, last)
        if not todo:
            return results
        seq = wallet["seq"] + 1
        currency = wallet.get("currency", "IDR")
        state = {b: buckets_from_doc(wallet["balances"][b], currency) for b in BALANCE_KINDS}
        new_docs = []
        for doc in todo:
            intent = intent_from_doc(doc)
            state[intent.balance], entries = apply_intent(state[intent.balance], intent)
            results[intent.key] = entries
            for entry in entries:
                order = seq * ORDER_STRIDE + len(new_docs)
                new_docs.append(entry_to_doc(workspace_id, entry, intent.key, seq, order, doc, now))
        updated = await self.db.wallets.update_one(
            {"_id": workspace_id, "seq": wallet["seq"]},
            {"$set": {"seq": seq, "last": new_docs, "updated_at": now,
                      "balances": {b: buckets_to_doc(state[b]) for b in BALANCE_KINDS}}})
        if updated.matched_count != 1:
            raise ConcurrentUpdate()
        await self.finalize(new_docs)
        return results

    async def _existing_results(self, keys: list[str], docs: dict[str, dict],
                                last: list[dict]) -> dict[str, list[Entry]]:
        in_last: dict[str, list[Entry]] = {}
        for d in last:
            in_last.setdefault(d["intent_key"], []).append(entry_from_doc(d))
        out: dict[str, list[Entry]] = {}
        applied_keys = [k for k in keys if docs[k]["state"] == "applied" and k not in in_last]
        if applied_keys:
            async for d in self.db.ledger.find({"intent_key": {"$in": applied_keys},
                                                "state": "applied"}).sort("order", 1):
                out.setdefault(d["intent_key"], []).append(entry_from_doc(d))
        out.update({k: v for k, v in in_last.items() if k in docs})
        return out

    async def finalize(self, entry_docs: list[dict]) -> None:
        ops = [UpdateOne({"_id": d["_id"]}, {"$set": {k: v for k, v in d.items() if k != "_id"}},
                         upsert=True) for d in entry_docs]
        await self.db.ledger.bulk_write(ops, ordered=False)

    async def apply_stale_pending(self, older_than: datetime, now: datetime) -> int:
        """Apply intents whose poster died between insert and apply (crash recovery)."""
        cursor = self.db.ledger.find({"state": "pending", "created_at": {"$lt": older_than}},
                                     {"_id": 1, "workspace_id": 1}).limit(5000)
        by_workspace: dict[str, list[str]] = {}
        async for doc in cursor:
            by_workspace.setdefault(doc["workspace_id"], []).append(doc["_id"])
        for workspace_id, keys in by_workspace.items():
            for start in range(0, len(keys), MAX_INTENTS_PER_APPLY):
                chunk = keys[start:start + MAX_INTENTS_PER_APPLY]
                while True:
                    try:
                        await self._apply_once(workspace_id, chunk, now)
                        break
                    except ConcurrentUpdate:
                        await asyncio.sleep(0)
        return sum(len(k) for k in by_workspace.values())

    async def balances(self, workspace_id: str) -> dict[str, Buckets] | None:
        wallet = await self.db.wallets.find_one({"_id": workspace_id}, {"last": 0})
        if wallet is None:
            return None
        currency = wallet.get("currency", "IDR")
        return {b: buckets_from_doc(wallet["balances"][b], currency) for b in BALANCE_KINDS}


def zero_wallet_doc(workspace_id: str, now: datetime, currency: str = "IDR") -> dict:
    empty = buckets_to_doc(Buckets.empty(currency))
    return {"_id": workspace_id, "currency": currency, "seq": 0, "last": [], "created_at": now,
            "updated_at": now, "balances": {b: dict(empty) for b in BALANCE_KINDS}}


__all__ = ["MongoLedger", "Money", "zero_wallet_doc"]
