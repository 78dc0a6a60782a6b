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

TIE_ROOM = 16     # events a page may fetch again at the cursor's `order` (see `page`)


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
    low = None if q.after_ms is None else (q.after_ms + 1) * PER_MS       # inclusive
    high = None if q.before_ms is None else q.before_ms * PER_MS           # exclusive
    if q.cursor:                # from the last event served on (its ties dropped by `page`)
        order, _ = decode_cursor(q.cursor)
        if q.ascending:
            low = order if low is None else max(low, order)
        else:
            high = order + 1 if high is None else min(high, order + 1)
    bounds = {k: v for k, v in (("$gte", low), ("$lt", high)) if v is not None}
    if bounds:
        query["order"] = bounds
    return query


def _beyond_cursor(docs: list[dict], q: EventQuery) -> list[dict]:
    """Drop the events at the cursor's `order` that were served already (`_id` up to it)."""
    if not q.cursor:
        return docs
    order, last = decode_cursor(q.cursor)
    served = (lambda d: d["_id"] <= last) if q.ascending else (lambda d: d["_id"] >= last)
    return [d for d in docs if not (d["order"] == order and served(d))]


async def page(db: AsyncDatabase, q: EventQuery) -> tuple[list[dict], str | None]:
    """One page. The cursor is a plain range on `order` (an `$or` with the `_id` tie-break
    made NX-27017 scan: 5 s a page on 50,000 events, bench/events_list.py); the events that
    share the cursor's `order` (at most one per emitting process: each counts its own) are
    fetched again and dropped here."""
    direction = 1 if q.ascending else -1
    found = db.events.find(_filter(q)).sort([("order", direction), ("_id", direction)])
    docs = _beyond_cursor([d async for d in found.limit(q.limit + 1 + TIE_ROOM)], q)
    more = len(docs) > q.limit
    docs = docs[:q.limit]
    return docs, (encode_cursor(docs[-1]) if more and docs else None)


async def last_of(db: AsyncDatabase, object_id: str, event_type: str) -> dict | None:
    """The newest event of this type about this object."""
    found = db.events.find(explicit({"object_id": object_id, "type": event_type}))
    docs = [d async for d in found.sort([("order", -1), ("_id", -1)]).limit(1)]
    return docs[0] if docs else None
