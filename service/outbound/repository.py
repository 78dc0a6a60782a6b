"""The only code that sees the `webhook_endpoints`, `webhook_deliveries` and `webhook_attempts`
documents. Every time is stored as epoch milliseconds (`*_ms`) and every state a string, so
plain `$set`s keep their types on NX-27017 (which turns a `$set` datetime into a string and a
bool into 1/0) and due times are integer ranges (NX-27017 compares datetimes as strings)."""
from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from service.mongo.cursors import page
from service.mongo.docs import from_ms, to_ms
from service.mongo.filters import explicit
from service.mongo.once import insert_if_absent
from service.outbound.records import ALL_RESELLERS, Attempt, Delivery, Endpoint, Secret


def endpoint_to_doc(e: Endpoint) -> dict:
    return {"_id": e.id, "scope": e.scope, "role": e.role, "workspace_id": e.workspace_id,
            "reseller_id": e.reseller_id, "url": e.url, "description": e.description,
            "event_types": list(e.event_types), "status": e.status,
            "secrets": [{"value": s.value, "expires_ms": to_ms(s.expires_at)
                         if s.expires_at else None} for s in e.secrets],
            "created_ms": to_ms(e.created_at), "updated_ms": to_ms(e.updated_at),
            "failing_since_ms": to_ms(e.failing_since) if e.failing_since else None,
            "disabled_ms": to_ms(e.disabled_at) if e.disabled_at else None}


def endpoint_from_doc(d: dict) -> Endpoint:
    return Endpoint(
        id=d["_id"], scope=d["scope"], role=d["role"], workspace_id=d.get("workspace_id"),
        reseller_id=d.get("reseller_id"), url=d["url"], description=d.get("description", ""),
        event_types=tuple(d.get("event_types") or ()), status=d.get("status", "enabled"),
        secrets=tuple(Secret(s["value"], from_ms(s.get("expires_ms"))) for s in d["secrets"]),
        created_at=from_ms(d["created_ms"]), updated_at=from_ms(d["updated_ms"]),
        failing_since=from_ms(d.get("failing_since_ms")),
        disabled_at=from_ms(d.get("disabled_ms")))


class Endpoints:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.webhook_endpoints

    async def insert(self, endpoint: Endpoint) -> None:
        await self.collection.insert_one({**endpoint_to_doc(endpoint), "rev": 0})

    async def get(self, endpoint_id: str) -> tuple[Endpoint, int] | None:
        """The endpoint and its revision (for `save`)."""
        doc = await self.collection.find_one({"_id": endpoint_id})
        return None if doc is None else (endpoint_from_doc(doc), doc.get("rev", 0))

    async def save(self, endpoint: Endpoint, rev: int) -> bool:
        """Replace it if nobody changed it since revision `rev` was read."""
        done = await self.collection.replace_one(
            {"_id": endpoint.id, "rev": rev}, {**endpoint_to_doc(endpoint), "rev": rev + 1})
        return done.matched_count == 1

    async def delete(self, endpoint_id: str) -> None:
        await self.collection.delete_one({"_id": endpoint_id})

    async def listed(self, query: dict, limit: int, cursor: str | None
                     ) -> tuple[list[Endpoint], str | None]:
        docs, next_cursor = await page(self.collection, query, limit, cursor)
        return [endpoint_from_doc(d) for d in docs], next_cursor

    async def enabled_in(self, scopes: list[str]) -> list[Endpoint]:
        """The enabled endpoints of these scopes (ALL_RESELLERS: every reseller's)."""
        enabled = {"status": {"$eq": "enabled"}}
        found = [endpoint_from_doc(d) async for d in self.collection.find(
            {"scope": {"$in": scopes}, **enabled})]
        if ALL_RESELLERS in scopes:
            found += [endpoint_from_doc(d) async for d in self.collection.find(
                {"role": {"$eq": "reseller"}, **enabled})]
        return list({e.id: e for e in found}.values())

    async def count_of(self, scope: str) -> int:
        return len([d async for d in self.collection.find(explicit({"scope": scope}), {"_id": 1})])

    async def mark_failing(self, endpoint_id: str, since: datetime) -> None:
        """The first failure after a success (or since creation) starts the failing time."""
        await self.collection.update_one({"_id": endpoint_id, "failing_since_ms": None},
                                         {"$set": {"failing_since_ms": to_ms(since)}})

    async def mark_healthy(self, endpoint_id: str) -> None:
        await self.collection.update_one({"_id": endpoint_id},
                                         {"$set": {"failing_since_ms": None}})

    async def disable(self, endpoint_id: str, now: datetime) -> bool:
        """Enabled → disabled; → whether this call did it."""
        done = await self.collection.update_one(
            {"_id": endpoint_id, "status": {"$eq": "enabled"}},
            {"$set": {"status": "disabled", "disabled_ms": to_ms(now), "updated_ms": to_ms(now)},
             "$inc": {"rev": 1}})
        return done.modified_count == 1


def delivery_from_doc(d: dict) -> Delivery:
    return Delivery(id=d["_id"], endpoint_id=d["endpoint_id"], event_id=d["event_id"],
                    status=d["status"], attempts=d.get("attempts", 0),
                    next_attempt_at=from_ms(d.get("due_ms")) if d["status"] == "pending" else None,
                    created_at=from_ms(d["created_ms"]), last_status=d.get("last_status"),
                    last_error=d.get("last_error"), lease=d.get("lease"),
                    reseller_id=d.get("reseller_id"))


class Deliveries:
    """The per-endpoint queue. A pending delivery has `due_ms`: when it may next be claimed
    (its next attempt, or the end of the lease of the attempt running now); delivered and
    failed ones have none, so the claim's one integer range sees only what is due."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.webhook_deliveries

    @staticmethod
    def new(endpoint_id: str, event_id: str, reseller_id: str | None, now: datetime) -> dict:
        return {"_id": f"{endpoint_id}:{event_id}", "endpoint_id": endpoint_id,
                "event_id": event_id, "reseller_id": reseller_id, "status": "pending",
                "attempts": 0, "due_ms": to_ms(now), "created_ms": to_ms(now), "lease": None}

    async def add(self, endpoint_id: str, event_id: str, reseller_id: str | None,
                  now: datetime) -> bool:
        """Queue the event for the endpoint once (insert-if-absent on the pair's `_id`)."""
        return await insert_if_absent(self.collection,
                                      self.new(endpoint_id, event_id, reseller_id, now))

    async def get(self, delivery_id: str) -> Delivery | None:
        doc = await self.collection.find_one({"_id": delivery_id})
        return None if doc is None else delivery_from_doc(doc)

    async def claim(self, now: datetime, lease_ms: int, token: str) -> Delivery | None:
        """Take one due delivery for an attempt, atomically: nobody else can take it until the
        lease ends (a worker killed mid-attempt: then another one sends it again)."""
        doc = await self.collection.find_one_and_update(
            {"due_ms": {"$lte": to_ms(now)}},
            {"$set": {"due_ms": to_ms(now) + lease_ms, "lease": token}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)
        return None if doc is None else delivery_from_doc(doc)

    async def finish(self, claimed: Delivery, outcome: dict, next_at: datetime | None) -> bool:
        """The claimed attempt's outcome: pending again at `next_at`, or (None) done with
        `outcome["status"]`; only while the claim is still ours."""
        update: dict = {"$set": {**outcome, "lease": None}}
        if next_at is None:
            update["$unset"] = {"due_ms": ""}
        else:
            update["$set"]["due_ms"] = to_ms(next_at)
        done = await self.collection.update_one({"_id": claimed.id, "lease": claimed.lease},
                                                update)
        return done.modified_count == 1

    async def requeue(self, endpoint_id: str, event_id: str, reseller_id: str | None,
                      now: datetime) -> Delivery:
        """Resend by hand: queue it (again) now, unless an attempt is running."""
        delivery_id = f"{endpoint_id}:{event_id}"
        if await self.add(endpoint_id, event_id, reseller_id, now):
            return await self.get(delivery_id)
        await self.collection.update_one(
            {"_id": delivery_id, "lease": None},
            {"$set": {"status": "pending", "due_ms": to_ms(now)}, "$inc": {"resends": 1}})
        return await self.get(delivery_id)


def attempt_to_doc(a: Attempt) -> dict:
    return {"_id": a.id, "endpoint_id": a.endpoint_id, "delivery_id": a.delivery_id,
            "event_id": a.event_id, "event_type": a.event_type, "attempt": a.attempt,
            "at_ms": to_ms(a.at), "outcome": a.outcome, "status_code": a.status_code,
            "error": a.error, "duration_ms": a.duration_ms,
            "next_attempt_ms": to_ms(a.next_attempt_at) if a.next_attempt_at else None}


def attempt_from_doc(d: dict) -> Attempt:
    return Attempt(id=d["_id"], endpoint_id=d["endpoint_id"], delivery_id=d["delivery_id"],
                   event_id=d["event_id"], event_type=d["event_type"], attempt=d["attempt"],
                   at=from_ms(d["at_ms"]), outcome=d["outcome"], status_code=d.get("status_code"),
                   error=d.get("error"), duration_ms=d.get("duration_ms", 0),
                   next_attempt_at=from_ms(d.get("next_attempt_ms")))


class Attempts:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.webhook_attempts

    async def insert(self, attempt: Attempt) -> None:
        await self.collection.insert_one(attempt_to_doc(attempt))

    async def of_endpoint(self, endpoint_id: str, limit: int, cursor: str | None
                          ) -> tuple[list[Attempt], str | None]:
        """Newest first (attempt ids start with their time)."""
        docs, next_cursor = await page(self.collection, {"endpoint_id": endpoint_id}, limit,
                                       cursor)
        return [attempt_from_doc(d) for d in docs], next_cursor
