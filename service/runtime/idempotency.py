"""Idempotency-Key (contract §5) on MongoDB, one document per (caller, method, path, key).

    begin → in_progress (with a lease and a `seed` for the ids the request creates)
         → completed (the first response, replayed for 24 h) | released (an error: retry freely)

- Same key, different body → IdempotencyKeyReused (422). Same key while the first request is
  still in flight → Conflict `idempotency_in_progress` (409).
- A request that died in flight holds its lease for LEASE; after that a retry takes the record
  over with the same seed, so the use case resumes with the same ids instead of ordering twice.
- Records expire after TTL, decided here from the injected clock on every read; `purge`
  (run by the payments sweep) deletes records expired more than a day ago. There is no TTL
  index: a store's TTL monitor uses the real wall clock, not the service's clock.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from billing.errors import IdempotencyInProgress, IdempotencyKeyReused
from service.mongo.revisions import swap
from service.runtime import ids, json_body
from service.runtime.context import Services

TTL = timedelta(hours=24)
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claim:
    record_id: str
    seed: str
    replay: dict | None = None     # {status, body, content_type} of the first response


@dataclass(frozen=True)
class KeyRecord:
    """One stored Idempotency-Key (a document of `idempotency`, read only here)."""
    id: str
    state: str                     # in_progress | completed
    request_hash: str
    seed: str
    created_at: datetime
    expires_at: datetime
    lease_until: datetime
    response: dict | None = None
    rev: int = 0


def record_id(scope: str, method: str, path: str, key: str) -> str:
    return hashlib.sha256("\n".join((scope, method, path, key)).encode()).hexdigest()


def request_hash(raw: bytes) -> str:
    """Same JSON body (whatever its key order or spacing) → same hash."""
    return hashlib.sha256(json_body.canonical(raw)).hexdigest()


def _fresh(body_hash: str, now: datetime) -> dict:
    return {"state": "in_progress", "request_hash": body_hash, "seed": ids.new_seed(now),
            "created_at": now, "expires_at": now + TTL, "lease_until": now + LEASE,
            "response": None, "rev": 0}


def _record(doc: dict) -> KeyRecord:
    return KeyRecord(doc["_id"], doc["state"], doc["request_hash"], doc["seed"],
                     doc["created_at"], doc["expires_at"], doc["lease_until"],
                     doc.get("response"), doc.get("rev", 0))


async def begin(svc: Services, rid: str, body_hash: str, now: datetime) -> Claim:
    db = svc.db
    for _ in range(5):
        fresh = _fresh(body_hash, now)
        try:
            await db.idempotency.insert_one({"_id": rid, **fresh})
            return Claim(rid, fresh["seed"])
        except DuplicateKeyError:
            pass
        doc = await db.idempotency.find_one({"_id": rid})
        if doc is None:
            continue                      # purged meanwhile
        stored = _record(doc)
        if stored.expires_at <= now:      # expired, not yet removed: start over
            # swap, not $set (here and below): NX-27017 stores a datetime written by $set as a
            # string (service/mongo/revisions.py)
            if await swap(db.idempotency, {"_id": rid, "expires_at": stored.expires_at}, fresh):
                return Claim(rid, fresh["seed"])
            continue
        claim = await _existing(db, stored, body_hash, now)
        if claim:
            return claim
    raise IdempotencyInProgress("The request with this Idempotency-Key is still in progress")


async def _existing(db: AsyncDatabase, stored: KeyRecord, body_hash: str,
                    now: datetime) -> Claim | None:
    if stored.request_hash != body_hash:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request body",
                                   field="Idempotency-Key")
    if stored.state == "completed":
        return Claim(stored.id, stored.seed, stored.response)
    if stored.lease_until > now:
        raise IdempotencyInProgress("The request with this Idempotency-Key is still in progress")
    taken = await swap(db.idempotency,    # its request died: take over with the same seed
                       {"_id": stored.id, "state": "in_progress", "rev": stored.rev},
                       {"lease_until": now + LEASE})
    return Claim(stored.id, stored.seed) if taken else None


async def complete(svc: Services, claim: Claim, status: int, body: str,
                   content_type: str) -> None:
    await swap(svc.db.idempotency, {"_id": claim.record_id, "seed": claim.seed,
                                    "state": "in_progress"},
               {"state": "completed",
                "response": {"status": status, "body": body, "content_type": content_type}})


async def release(svc: Services, claim: Claim) -> None:
    """The request was refused (bad input, not found…): forget the key; a retry runs afresh."""
    await svc.db.idempotency.delete_one(
        {"_id": claim.record_id, "seed": claim.seed, "state": "in_progress"})


async def abandon(svc: Services, claim: Claim, now: datetime) -> None:
    """The request broke half-way: end the lease now but keep the seed, so that a retry
    resumes the same order at once (same ids) instead of waiting or ordering twice."""
    await swap(svc.db.idempotency, {"_id": claim.record_id, "seed": claim.seed,
                                    "state": "in_progress"},
               {"lease_until": now})


async def purge(db: AsyncDatabase, now: datetime) -> int:
    """Delete records that expired more than a day before `now` (garbage collection only:
    `begin` already treats an expired record as absent; NX-27017 compares stored datetimes as
    strings, to the second, which a day's margin makes irrelevant)."""
    result = await db.idempotency.delete_many({"expires_at": {"$lt": now - timedelta(days=1)}})
    return result.deleted_count
