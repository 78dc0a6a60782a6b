"""The `events` collection, read: the list endpoint's page and an object's last event.

Order: newest first by (`order`, `_id`), or oldest first with `order=asc` (to catch up);
`order` is the creation time in milliseconds × 10⁶ plus the emitting process's counter
(service/events/emit.py), so time filters are ranges of it too (integers: NX-27017 compares
datetimes as strings). The cursor is the last event served, opaque (base64 of its `order`
and `_id`). The tenant filters are explicit
equalities on the tenant fields (service/mongo/filters.py: NX-27017 scans the collection on an
implicit equality in a sorted find), answered by the `events` indexes of service/mongo/store.py.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from billing.errors import ValidationFailed
from service.events.emit import PER_MS
from service.mongo.filters import explicit


@dataclass(frozen=True)
class EventQuery:
    workspace_id: str | None = None      # tenant scope (None: not restricted by workspace)
    reseller_id: str | None = None       # tenant scope (None: not restricted by reseller)
    types: tuple[str, ...] = ()          # () = every type
    after_ms: int | None = None          # created strictly after
    before_ms: int | None = None         # created strictly before
    ascending: bool = False
    limit: int = 50
    cursor: str | None = None


def encode_cursor(doc: dict) -> str:
    return base64.urlsafe_b64encode(f"{doc['order']}|{doc['_id']}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        ms, _, event_id = base64.b64decode(cursor.encode(), altchars=b"-_",
                                           validate=True).decode().partition("|")
        if event_id and ms.isdigit():
            return int(ms), event_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        pass
    raise ValidationFailed("Malformed cursor", field="cursor")


def _filter(q: EventQuery) -> dict:
    query: dict = explicit({k: v for k, v in (("workspace_id", q.workspace_id),
                                               ("reseller_id", q.reseller_id)) if v})
    if q.types:
        query["type"] = {"$in": list(q.types)}
    created: dict = {}
    if q.after_ms is not None:
        created["$gte"] = (q.after_ms + 1) * PER_MS
    if q.before_ms is not None:
        created["$lt"] = q.before_ms * PER_MS
    if created:
        query["order"] = created
    if q.cursor:
        order, last = decode_cursor(q.cursor)
        beyond = "$gt" if q.ascending else "$lt"
        query["$or"] = [{"order": {beyond: order}},
                        {"order": {"$eq": order}, "_id": {beyond: last}}]
    return query


async def page(db: AsyncDatabase, q: EventQuery) -> tuple[list[dict], str | None]:
    direction = 1 if q.ascending else -1
    found = db.events.find(_filter(q)).sort([("order", direction), ("_id", direction)])
    docs = [d async for d in found.limit(q.limit + 1)]
    more = len(docs) > q.limit
    docs = docs[:q.limit]
    return docs, (encode_cursor(docs[-1]) if more and docs else None)


async def last_of(db: AsyncDatabase, object_id: str, event_type: str) -> dict | None:
    """The newest event of this type about this object."""
    found = db.events.find(explicit({"object_id": object_id, "type": event_type}))
    docs = [d async for d in found.sort([("order", -1), ("_id", -1)]).limit(1)]
    return docs[0] if docs else None
