"""Insert once, keyed by `_id`: the one "insert or read the existing" helper.

Ids here are derived from the request (its seed) or from the thing they record, so a retry
builds the same `_id`; the unique `_id` index then makes the insert idempotent. A
DuplicateKeyError is the answer "someone inserted it already", never an error.
"""
from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


async def insert_or_read(collection: AsyncCollection, doc: dict) -> dict:
    """`doc`, inserted; or, if its `_id` exists already, the stored document."""
    try:
        await collection.insert_one(doc)
        return doc
    except DuplicateKeyError:
        return await collection.find_one({"_id": doc["_id"]})


async def insert_if_absent(collection: AsyncCollection, doc: dict) -> bool:
    """Insert `doc` unless its `_id` exists already; → whether this call inserted it."""
    try:
        await collection.insert_one(doc)
        return True
    except DuplicateKeyError:
        return False
