"""The `events` collection's old home: emitting now lives in service/events/emit.py (kept
importable from here for the callers that use it)."""
from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from service.events.emit import emit
from service.mongo.filters import explicit

__all__ = ["emit", "events_of"]


async def events_of(db: AsyncDatabase, object_id: str) -> list[dict]:
    found = db.events.find(explicit({"object_id": object_id})).sort("created_at", 1)
    return [d async for d in found]
