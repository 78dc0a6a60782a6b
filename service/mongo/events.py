"""The `events` collection: every state change of invoices, payments and orders, appended once
(the `_id` is the object id + the event type, + `key` for events that recur on one object, such
as `addon.updated`), for outbound webhooks later.

Emitting is idempotent, so a use case re-driven after a crash emits again without duplicates.
"""
from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from service.mongo.filters import explicit
from service.mongo.once import insert_if_absent


async def emit(db: AsyncDatabase, event_type: str, object_id: str, workspace_id: str,
               data: dict, now: datetime, key: str | None = None) -> None:
    event_id = f"{object_id}:{event_type}" + (f":{key}" if key else "")
    doc = {"_id": event_id, "type": event_type,
           "object": event_type.split(".")[0], "object_id": object_id,
           "workspace_id": workspace_id, "data": data, "created_at": now,
           "dispatched": False}     # outbound webhooks fan it out (service/outbound/dispatch.py)
    await insert_if_absent(db.events, doc)


async def events_of(db: AsyncDatabase, object_id: str) -> list[dict]:
    found = db.events.find(explicit({"object_id": object_id})).sort("created_at", 1)
    return [d async for d in found]
