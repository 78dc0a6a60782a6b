"""Low-balance alerts on the wallet document (the rules: billing/balance_alerts.py).

The thresholds live in the wallet document (`alerts: {balance: rupiah}`, absent: the
defaults), so the ledger's one conditional write (service/wallet/ledger.py) knows them without
a read, and decides the crossing where the balance change is applied: once per wallet write,
never per webhook. The events a write raises are journaled in that same write (`events`, a
JSON string like `last`) and inserted into `events` right after it: one insert_many, only when
a write raised something. A process killed in between leaves them in the wallet document; the
next writer that reads the wallet (or the sweep, `finalize_recent`) inserts them, and their ids
(workspace, type, balance, the write's `seq`) make every insert after the first a no-op.

Changing a threshold is a conditional replace that bumps `seq` like any write, so a writer
holding an older copy of the wallet (another process's) fails its write and reads it again.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Mapping

from pymongo.asynchronous.database import AsyncDatabase

from billing.balance_alerts import alerts, thresholds
from billing.errors import NotFound
from billing.wallet import Buckets
from service.events import shapes
from service.events.emit import TENANTS, event_doc, insert_events
from service.mongo.docs import from_ms, to_ms

NO_EVENTS = "[]"


def thresholds_of(wallet: dict) -> dict[str, int]:
    return thresholds(wallet.get("alerts"))


def journal(workspace_id: str, seq: int, wallet: dict, before: Mapping[str, Buckets],
            after: Mapping[str, Buckets], now: datetime) -> str:
    """The events this write raises, as the wallet's `events` journal."""
    raised = alerts(before, after, thresholds_of(wallet))
    return json.dumps([
        {"type": a.type, "key": f"{a.balance}:{seq}", "ms": to_ms(now),
         "data": {"workspace_id": workspace_id, "balance": a.balance,
                  "threshold": shapes.money(a.threshold), **shapes.balance(after[a.balance])}}
        for a in raised], separators=(",", ":")) if raised else NO_EVENTS


async def finalize(db: AsyncDatabase, workspace_id: str, events: str | None) -> None:
    """Insert the journaled events (idempotent; nothing to do for an empty journal)."""
    if not events or events == NO_EVENTS:      # nearly every write: nothing to parse
        return
    specs = json.loads(events)
    if not specs:
        return
    reseller = await TENANTS.reseller_of(db, workspace_id)
    await insert_events(db, [event_doc(s["type"], workspace_id, workspace_id, reseller,
                                       s["data"], from_ms(s["ms"]), s["key"]) for s in specs])


async def read_thresholds(db: AsyncDatabase, workspace_id: str) -> dict[str, int]:
    wallet = await db.wallets.find_one({"_id": workspace_id}, {"alerts": 1})
    if wallet is None:
        raise NotFound("Wallet not found", field="workspace_id")
    return thresholds_of(wallet)


async def set_thresholds(db: AsyncDatabase, workspace_id: str, changes: Mapping[str, int],
                         now: datetime) -> dict[str, int]:
    """Set some thresholds (the others kept): one conditional replace bumping `seq`."""
    for attempt in range(100):
        wallet = await db.wallets.find_one({"_id": workspace_id})
        if wallet is None:
            raise NotFound("Wallet not found", field="workspace_id")
        wanted = {**thresholds_of(wallet), **changes}
        replaced = await db.wallets.replace_one(
            {"_id": workspace_id, "seq": wallet["seq"]},
            {**wallet, "seq": wallet["seq"] + 1, "alerts": wanted, "updated_ms": to_ms(now)})
        if replaced.matched_count == 1:
            return wanted
        await asyncio.sleep(0.001 * min(attempt, 20))
    raise RuntimeError(f"wallet {workspace_id} stayed contended")
