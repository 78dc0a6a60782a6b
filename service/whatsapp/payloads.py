"""The raw half of the WhatsApp log: signed webhook bodies, stored before the 200: once processed,
carrying their summary (one insert), or unprocessed when processing failed (the sweep's work).

A body is stored as the exact bytes Meta signed (BSON binary, `_id` = their SHA-256), never as a
parsed document: whatever values it holds, the store cannot refuse it. Processing reads only
typed fields from it (`billing.whatsapp`). A payload whose processing raises is retried by the
sweep; each failure is counted on the stored payload (`attempts`, `last_error`), and after
`MAX_ATTEMPTS` it is parked (`parked_ms`): the sweep leaves it alone, and
`GET /v1/admin/webhooks/parked` lists it until an admin re-queues it
(`POST /v1/admin/webhooks/parked/{id}/retry`) once its cause is fixed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError

from service.mongo.docs import from_ms, to_ms

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class StoredPayload:
    """A stored webhook body to (re-)process."""
    id: str        # SHA-256 of the body
    body: bytes    # the exact bytes Meta signed


@dataclass(frozen=True)
class ParkedPayload:
    """A payload whose processing failed `MAX_ATTEMPTS` times, as an admin sees it."""
    id: str
    received_at: datetime
    parked_at: datetime
    attempts: int
    last_error: str


class PayloadLog:
    """Mixed into `MongoWhatsAppLog` (uses its `collection`, `marks`, `_payload_inserts` and
    `_stored_lately`)."""

    async def store_payload(self, raw: bytes, now: datetime) -> tuple[str, bool]:
        """Store the raw body durably, unprocessed (the sweep processes it). Returns (payload
        id, already fully processed)."""
        payload_id = payload_key(raw)
        inserted = await self._payload_inserts.submit({
            "_id": payload_id, "body": bytes(raw), "received_at": now,
            "received_ms": to_ms(now), "processed_ms": None, "attempts": 0})
        if inserted:
            return payload_id, False
        return payload_id, await self.processed_before(payload_id)

    async def store_processed(self, raw: bytes, now: datetime, summary: dict,
                              payload_id: str | None = None) -> bool:
        """Store the raw body durably, already carrying its processing summary: one insert
        (webhooks.receive, after processing). Where the body is stored already, it is marked
        processed if it was not. → False when it had been processed before (a duplicate).
        `payload_id`: `payload_key(raw)` when the caller has it already."""
        payload_id = payload_id or payload_key(raw)
        inserted = await self._payload_inserts.submit({
            "_id": payload_id, "body": bytes(raw), "received_at": now,
            "received_ms": to_ms(now), "processed_ms": to_ms(now), "attempts": 0,
            "summary": summary})
        self._stored_lately.add(payload_id, None)
        if inserted:
            return True
        marked = await self.collection["wa_payloads"].update_one(
            {"_id": payload_id, "processed_ms": None},
            {"$set": {"processed_ms": to_ms(now), "summary": summary}})
        return marked.modified_count == 1

    def stored_lately(self, payload_id: str) -> bool:
        """This process stored the body lately (a hint: Meta sends a body again when our 200
        was late or lost; then one read spares processing it again)."""
        return payload_id in self._stored_lately

    async def processed_before(self, payload_id: str) -> bool:
        doc = await self.collection["wa_payloads"].find_one({"_id": payload_id},
                                                            {"processed_ms": 1})
        return bool(doc and doc.get("processed_ms"))

    async def _insert_payloads(self, _: None, docs: list[dict]) -> list[bool]:
        """One insert_many for concurrent requests; True where inserted, False on duplicate."""
        try:
            await self.collection["wa_payloads"].insert_many(docs, ordered=False)
            return [True] * len(docs)
        except BulkWriteError as exc:
            ignore_duplicates(exc)
            duplicates = {e["index"] for e in exc.details["writeErrors"]}
            return [i not in duplicates for i in range(len(docs))]

    async def mark_processed(self, payload_id: str, now: datetime, summary: dict) -> None:
        self.marks.enqueue([UpdateOne(
            {"_id": payload_id}, {"$set": {"processed_ms": to_ms(now), "summary": summary}})],
            "wa_payloads")

    async def note_failure(self, payload_id: str, error: str, now: datetime) -> int:
        """Count a failed processing on the payload; park it at `MAX_ATTEMPTS`. → attempts."""
        doc = await self.collection["wa_payloads"].find_one_and_update(
            {"_id": payload_id}, {"$inc": {"attempts": 1}, "$set": {"last_error": error[:500]}},
            {"attempts": 1}, return_document=ReturnDocument.AFTER)
        attempts = (doc or {}).get("attempts", 0)
        if attempts >= MAX_ATTEMPTS:
            await self.collection["wa_payloads"].update_one({"_id": payload_id, "parked_ms": None},
                                                 {"$set": {"parked_ms": to_ms(now)}})
        return attempts

    async def unprocessed(self, received_before: datetime,
                          limit: int = 200) -> list[StoredPayload]:
        """Payloads to (re-)process: not processed, not parked, received before the cutoff."""
        cursor = self.collection["wa_payloads"].find(
            {"processed_ms": None, "parked_ms": None,
             "received_ms": {"$lt": to_ms(received_before)}}).sort("received_ms", 1).limit(limit)
        return [_stored(doc) async for doc in cursor]

    async def parked(self, limit: int = 100) -> list[ParkedPayload]:
        """Parked payloads, oldest first, without their bodies."""
        cursor = self.collection["wa_payloads"].find(
            {"parked_ms": {"$gte": 0}, "processed_ms": None},
            {"body": 0, "summary": 0}).sort("received_ms", 1).limit(limit)
        return [ParkedPayload(d["_id"], from_ms(d["received_ms"]), from_ms(d["parked_ms"]),
                              d.get("attempts", 0), d.get("last_error", "")) async for d in cursor]

    async def unpark(self, payload_id: str) -> StoredPayload | None:
        """Give a parked payload `MAX_ATTEMPTS` more tries. → the payload, None if not parked."""
        doc = await self.collection["wa_payloads"].find_one_and_update(
            {"_id": payload_id, "parked_ms": {"$gte": 0}, "processed_ms": None},
            {"$set": {"parked_ms": None, "attempts": 0}}, return_document=ReturnDocument.AFTER)
        return None if doc is None else _stored(doc)


def payload_key(raw: bytes) -> str:
    """A stored body's `_id`: the SHA-256 of the exact bytes."""
    return hashlib.sha256(raw).hexdigest()


def ignore_duplicates(exc: BulkWriteError) -> None:
    """Re-raise a bulk insert's error unless every failure is a duplicate key."""
    if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
        raise exc


def _stored(doc: dict) -> StoredPayload:
    """Payloads stored before bodies were bytes hold text."""
    body = doc["body"]
    return StoredPayload(doc["_id"], body.encode() if isinstance(body, str) else bytes(body))
