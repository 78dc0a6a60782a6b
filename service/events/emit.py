"""Emitting an event: one document in `events`, appended once.

The `_id` is the object id + the event type (+ `key` for events that recur on one object:
`addon.updated` per revision, a wallet alert per wallet write, a renewal per period), so a use
case re-driven after a crash emits again without duplicates: the unique `_id` drops the second.

Each document: `_id` (the event's id), `type`, `object` (the type's first part), `object_id`,
`workspace_id` (None for the agency's catalog events `addon.*`), `reseller_id` (the
workspace's reseller; None for the agency's own customers and for catalog events), `data`
(the object as the API shows it, built by service/events/shapes.py), `created_at` and
`created_ms` (epoch milliseconds, see service/mongo/docs.to_ms), `order` (what lists sort
on: `created_ms` × 10⁶ + a counter of this process, so the events of one use case, which share
its `now`, keep the order they were emitted in), and `dispatched: False` (outbound delivery
marks it once it fanned it out).

A workspace's reseller never changes (it is set when the workspace is created), so the one
looked up is remembered (`Tenants`, bounded): emitting for a workspace this process has seen
costs no read.
"""
from __future__ import annotations

import itertools
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from service.mongo.docs import to_ms
from service.mongo.once import insert_if_absent
from service.mongo.recent import Recent

REMEMBERED_TENANTS = 20_000
UNKNOWN = object()
PER_MS = 1_000_000
_emitted = itertools.count()     # this process's emission order (ties within one `now`)


class Tenants:
    """workspace id → its reseller id (or None), per database; a workspace's reseller never
    changes, so what is remembered is never stale."""

    def __init__(self, limit: int = REMEMBERED_TENANTS) -> None:
        self._known: Recent[tuple[str, str], str | None] = Recent(limit)

    def remember(self, db: AsyncDatabase, workspace_id: str, reseller_id: str | None) -> None:
        self._known.add((db.name, workspace_id), reseller_id)

    async def reseller_of(self, db: AsyncDatabase, workspace_id: str | None) -> str | None:
        if workspace_id is None:
            return None
        key = (db.name, workspace_id)
        if key in self._known:
            reseller = self._known.take(key)
        else:
            doc = await db.workspaces.find_one({"_id": workspace_id}, {"reseller_id": 1})
            reseller = (doc or {}).get("reseller_id")
        self._known.add(key, reseller)
        return reseller


# One per process: what it holds is an immutable fact keyed by database and workspace, so
# sharing it between apps (tests run many) can never give a wrong answer.
TENANTS = Tenants()


def event_id(event_type: str, object_id: str, key: str | None = None) -> str:
    return f"{object_id}:{event_type}" + (f":{key}" if key else "")


def event_doc(event_type: str, object_id: str, workspace_id: str | None,
              reseller_id: str | None, data: dict, now: datetime,
              key: str | None = None) -> dict:
    return {"_id": event_id(event_type, object_id, key), "type": event_type,
            "object": event_type.split(".")[0], "object_id": object_id,
            "workspace_id": workspace_id, "reseller_id": reseller_id, "data": data,
            "created_at": now, "created_ms": to_ms(now), "order": order_at(now),
            "dispatched": False}


def order_at(now: datetime) -> int:
    return to_ms(now) * PER_MS + next(_emitted) % PER_MS


async def emit(db: AsyncDatabase, event_type: str, object_id: str, workspace_id: str | None,
               data: dict, now: datetime, key: str | None = None, *,
               reseller_id: str | None | object = UNKNOWN) -> None:
    """Append the event once (see the module doc). `reseller_id`: when the caller knows it."""
    if reseller_id is UNKNOWN:
        reseller_id = await TENANTS.reseller_of(db, workspace_id)
    await insert_if_absent(db.events, event_doc(event_type, object_id, workspace_id,
                                                reseller_id, data, now, key))   # type: ignore


async def insert_events(db: AsyncDatabase, docs: list[dict]) -> None:
    """Insert these event documents, those already there skipped (one command)."""
    if not docs:
        return
    try:
        await db.events.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise
