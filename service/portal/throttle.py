"""Slowing down repeated wrong keys at the agency panel's sign-in (issue 13), per client address
and per key prefix: after `FREE_FAILURES` failures within `WINDOW`, each further failure locks
that address or prefix out for twice as long as the last (1 minute, 2, 4, … at most an hour). A
correct key clears the prefix's count, never the address's.

Counts live in MongoDB (`signin_failures`), so several web processes share them; times are
epoch milliseconds (integers: NX-27017 stores a datetime written by `$set` as a string, see
service/mongo/revisions.py), decided from the injected clock."""
from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ReturnDocument

from service.runtime.context import Services

FREE_FAILURES = 5
WINDOW = timedelta(minutes=15)
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def subjects(address: str | None, key: str) -> list[str]:
    return [f"ip:{address or 'unknown'}", f"key:{key.strip()[:10]}"]


async def locked_until(svc: Services, names: list[str], now: datetime) -> datetime | None:
    """The latest lock among `names` still in force at `now`, or None."""
    latest = 0
    async for doc in svc.db.signin_failures.find({"_id": {"$in": names}}):
        latest = max(latest, int(doc.get("locked_until_ms", 0)))
    if latest <= _ms(now):
        return None
    return datetime.fromtimestamp(latest / 1000, tz=now.tzinfo)


async def failed(svc: Services, names: list[str], now: datetime) -> None:
    for name in names:
        doc = await svc.db.signin_failures.find_one_and_update(
            {"_id": name}, {"$inc": {"failures": 1},
                         "$setOnInsert": {"first_ms": _ms(now), "locked_until_ms": 0}},
            upsert=True, return_document=ReturnDocument.AFTER)
        if _ms(now) - int(doc.get("first_ms", _ms(now))) > _ms_of(WINDOW):
            await svc.db.signin_failures.replace_one(
                {"_id": name}, {"failures": 1, "first_ms": _ms(now), "locked_until_ms": 0})
            continue
        over = int(doc["failures"]) - FREE_FAILURES
        if over > 0:
            lock = min(FIRST_LOCK * (2 ** (over - 1)), LONGEST_LOCK)
            await svc.db.signin_failures.update_one(
                {"_id": name}, {"$set": {"locked_until_ms": _ms(now + lock)}})


async def succeeded(svc: Services, key_subject: str) -> None:
    await svc.db.signin_failures.delete_one({"_id": key_subject})


def _ms_of(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
