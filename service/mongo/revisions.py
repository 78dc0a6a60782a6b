"""Compare-and-swap on one document, by revision: the single-document atomic state change used
for invoices, payments, top-ups and idempotency records.

Why not a conditional `$set`: NX-27017 stores a datetime or a bool given to `$set` as a string
or an int (values inside a sub-document or a list keep their types, and so does a whole-document
replace). So a change that writes a datetime or a bool reads the document matching `match` and
replaces it only if its `rev` is unchanged; a lost race re-reads and re-checks `match`. Plain
`$set`s of strings and ints elsewhere `$inc` the `rev` so that a swap never overwrites them.
Both NX-27017 and MongoDB guarantee the atomicity this needs.
"""
from __future__ import annotations

import asyncio

from pymongo.asynchronous.collection import AsyncCollection

ATTEMPTS = 200


class Contended(RuntimeError):
    """A document changed under us ATTEMPTS times in a row."""


def _same_revision(doc: dict) -> dict:
    if "rev" in doc:
        return {"_id": doc["_id"], "rev": doc["rev"]}
    return {"_id": doc["_id"], "rev": {"$exists": False}}


async def swap(collection: AsyncCollection, match: dict, changes: dict) -> dict | None:
    """Apply `changes` to the one document matching `match` (which names its `_id`), atomically.
    → the new document, or None when no document matches (any more)."""
    for attempt in range(ATTEMPTS):
        doc = await collection.find_one(match)
        if doc is None:
            return None
        new = {**doc, **changes, "rev": doc.get("rev", 0) + 1}
        replaced = await collection.replace_one(_same_revision(doc), new)
        if replaced.matched_count:
            return new
        await asyncio.sleep(0 if attempt < 5 else 0.001)
    raise Contended(f"{collection.name} {match.get('_id')!r} kept changing")


BUMP = {"$inc": {"rev": 1}}


async def replace_at_revision(collection: AsyncCollection, doc: dict,
                              changes: dict) -> dict | None:
    """`swap` without its read, for a caller that holds the document as last read or written:
    one revision-checked whole-document replace (a whole-document replace keeps datetimes and
    bools typed on NX-27017, where a `$set` would turn them into strings and 1/0).
    → the new document, or None when the document changed meanwhile (then `swap` from a
    fresh read)."""
    new = {**doc, **changes, "rev": doc.get("rev", 0) + 1}
    replaced = await collection.replace_one(_same_revision(doc), new)
    return new if replaced.matched_count else None
