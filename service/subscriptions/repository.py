"""The `subscriptions` and `subscription_orders` repository (and `workspace_usage`, the usage
the limits are checked against): the only code that sends them commands. Documents in, frozen
records out (service/subscriptions/records.py), and back (service/subscriptions/codec.py: the
schema earlier versions wrote, unchanged).

No transactions: a subscription is written by one versioned replace of the whole document
(`save`: `{_id, version: read}` → version + 1; a missing version matches null, so documents
created before their first save work), or by a `$set` that bumps `version` too, so that a
replace decided on an older read never overwrites it. NX-27017 stores a top-level datetime
written by `$set` as a naive string (MongoDB keeps it a date; sub-documents and whole
replaces keep their types on both), so every `$set` here writes datetimes only inside
sub-documents (`due`, `claim`, `last_change`, `paid`, `applied`).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Mapping

from pymongo import UpdateOne

from service.mongo.docs import to_ms
from service.mongo.grouped import find_by
from service.mongo.once import insert_or_read
from service.runtime.context import Services
from service.subscriptions.codec import (announced_to_doc, applied_to_doc, order_from_doc,
                                         order_to_doc, state_from_doc, state_to_doc)
from service.subscriptions.records import (Announced, OrderApplied, SubscriptionOrder,
                                           SubscriptionState)

# --- subscriptions ---------------------------------------------------------------------------

async def insert(svc: Services, s: SubscriptionState) -> None:
    await svc.db.subscriptions.insert_one(state_to_doc(s))


async def get(svc: Services, workspace_id: str) -> SubscriptionState | None:
    doc = await svc.db.subscriptions.find_one({"_id": workspace_id})
    return None if doc is None else state_from_doc(doc)


async def save(svc: Services, s: SubscriptionState, now: datetime) -> bool:
    """Write `s` (a `replace` of a record read) if the stored version is still the one it was
    read at, as the next version, due at once. False: someone wrote first (read again)."""
    new = replace(s, version=(s.version or 0) + 1, due=now)
    result = await svc.db.subscriptions.replace_one(
        {"_id": s.workspace_id, "version": s.version}, state_to_doc(new))
    return result.matched_count == 1


async def clear_outbox(svc: Services, workspace_id: str, version: int | None) -> None:
    """Drop the events journaled by the save of `version` (inserted): no version bump, so a
    replace decided on that version still wins (it inserts them again first: state.save)."""
    await svc.db.subscriptions.update_one({"_id": workspace_id, "version": version},
                                          {"$unset": {"outbox": ""}})


async def holding_addon(svc: Services, addon_id: str, limit: int) -> list[str]:
    held = {"$or": [{f"addons.{addon_id}": {"$exists": True}},
                    {f"scheduled_change.addons.{addon_id}": {"$exists": True}}]}
    return [d["_id"] async for d in svc.db.subscriptions.find(held, {"_id": 1}).limit(limit)]


async def forget_credits(svc: Services, workspace_id: str, keys: list[str]) -> None:
    # NX-27017 matches nothing with `{"addon_credits.key": {"$in": …}}` (an array of
    # sub-documents; MongoDB does): an $or of equalities instead
    await svc.db.subscriptions.update_one(
        {"_id": workspace_id, "$or": [{"addon_credits.key": k} for k in keys]},
        {"$pull": {"addon_credits": {"key": {"$in": keys}}}, "$inc": {"version": 1}})


def _due(at: datetime) -> dict:
    """The fields that say when the billing run looks again: `due.at` as earlier versions
    wrote it, and `due_ms` (epoch ms), which the due query reads."""
    return {"due": {"at": at}, "due_ms": to_ms(at)}


async def due_at(svc: Services, now: datetime, limit: int) -> list[tuple[str, datetime]]:
    """Up to `limit` (workspace id, period end) due by `now`: first those without `due_ms`
    (never looked at, or last written before `due_ms` existed: due at once), then by `due_ms`.
    NX-27017 answers a datetime range slowly (`{$or: [{due.at: {$lte: t}}, {due: None}]}`
    sorted: 0.45 s a page on 20,000 subscriptions, growing with them; MongoDB uses the index):
    two finds on the integer `due_ms` take 4 ms and 68 ms there."""
    fields = {"_id": 1, "current_period_end": 1}
    found = [(d["_id"], d["current_period_end"]) async for d in svc.db.subscriptions.find(
        {"due_ms": {"$eq": None}}, fields).limit(limit)]
    if len(found) < limit:
        found += [(d["_id"], d["current_period_end"]) async for d in svc.db.subscriptions.find(
            {"due_ms": {"$lte": to_ms(now)}}, fields).sort("due_ms", 1).limit(limit - len(found))]
    return found


async def claim_many(svc: Services, due: list[tuple[str, datetime]], worker: str,
                     until: datetime, now: datetime) -> dict[str, SubscriptionState]:
    """Claim each `(workspace id, period end as read)` of `due` that nobody holds (or whose
    lease ran out) and that is still in that period: one update per distinct period end, then
    one find of what `worker` holds → {workspace id: state as claimed}. Each document's claim
    is one atomic conditional write, so one worker wins it, as with one command each."""
    ends: dict[datetime, list[str]] = {}
    for workspace_id, end in due:
        ends.setdefault(end, []).append(workspace_id)
    for end, ids in ends.items():
        # NX-27017: beside other fields, an `$or` with a range branch matches every document
        # for which that branch holds, whatever the other fields say (`{_id: a, $or: [{claim:
        # None}, {claim.until: {$lte: t}}]}` took another subscription whose lease had run
        # out); MongoDB ANDs them. An explicit `$and` is evaluated right on both.
        await svc.db.subscriptions.update_many(
            {"$and": [{"_id": {"$in": ids}, "current_period_end": end},
                      {"$or": [{"claim": None}, {"claim.until": {"$lte": now}}]}]},
            {"$set": {"claim": {"by": worker, "until": until}}, "$inc": {"version": 1}})
    return {d["_id"]: state_from_doc(d) async for d in svc.db.subscriptions.find(
        {"_id": {"$in": [workspace_id for workspace_id, _ in due]}, "claim.by": worker},
        batch_size=max(len(due), 1))}                # one batch: no getMore


async def release_many(svc: Services, worker: str,
                       done: list[tuple[str, int | None, datetime | None, datetime | None,
                                        Mapping | None]]) -> None:
    """Give the claims of `done` back: each `(workspace id, version, due, boundary start,
    limits)` due again at `due`, its boundary starting at `boundary start` removed and
    `limits` recorded as announced at the version written (if not None), if nothing wrote
    after `version` (one bulk of conditional updates); every other one (a use case wrote
    meanwhile, or `due` None: the pass failed) only given back (one update)."""
    due = [UpdateOne({"_id": ws, "claim.by": worker, "version": version,
                      **({"boundary.start": ended} if ended else {})},
                     {"$set": {"claim": None, **_due(at), **_announced(limits, version)},
                      "$inc": {"version": 1},
                      **({"$unset": {"boundary": ""}} if ended else {})})
           for ws, version, at, ended, limits in done if at is not None]
    if due and (await svc.db.subscriptions.bulk_write(due, ordered=False)).matched_count == len(
            done):
        return                      # each one matched its op (one per `_id`): all given back
    await svc.db.subscriptions.update_many(
        {"_id": {"$in": [ws for ws, *_ in done]}, "claim.by": worker},
        {"$set": {"claim": None}, "$inc": {"version": 1}})


def _announced(limits: Mapping | None, version: int | None) -> dict:
    if limits is None or version is None:
        return {}
    return {"announced": announced_to_doc(Announced(limits, version + 1))}


async def poke(svc: Services, workspace_id: str, now: datetime) -> None:
    await svc.db.subscriptions.update_one({"_id": workspace_id},
                                          {"$set": _due(now), "$inc": {"version": 1}})


async def end_boundary(svc: Services, workspace_id: str, start: datetime,
                       version: int | None) -> bool:
    """Remove the boundary starting at `start`; False when the stored version is not
    `version` (someone wrote since: read again; the boundary stays until a later finish)."""
    ended = await svc.db.subscriptions.update_one(
        {"_id": workspace_id, "version": version, "boundary.start": start},
        {"$unset": {"boundary": ""}, "$inc": {"version": 1}})
    return ended.matched_count == 1


# --- the usage the chat platform reports (`workspace_usage`) ---------------------------------

async def reported_usage(svc: Services, workspace_id: str) -> tuple[int, int]:
    """(users, contacts) as last reported; 0 and 0 before any report."""
    reported = await svc.db.workspace_usage.find_one({"_id": workspace_id}) or {}
    return int(reported.get("users", 0)), int(reported.get("contacts", 0))


async def report_usage(svc: Services, workspace_id: str, users: int, contacts: int,
                       now: datetime) -> None:
    await svc.db.workspace_usage.replace_one(
        {"_id": workspace_id},  # NX-27017: an upserting replace needs the _id in the
        # document (MongoDB takes it from the filter)
        {"_id": workspace_id, "users": users, "contacts": contacts, "updated_at": now},
        upsert=True)


# --- subscription orders ---------------------------------------------------------------------

async def insert_order(svc: Services, o: SubscriptionOrder) -> SubscriptionOrder:
    """`o`, or the order stored under its id already (service/mongo/once.py)."""
    return order_from_doc(await insert_or_read(svc.db.subscription_orders, order_to_doc(o)))


async def get_order(svc: Services, order_id: str) -> SubscriptionOrder | None:
    doc = await svc.db.subscription_orders.find_one({"_id": order_id})
    return None if doc is None else order_from_doc(doc)


async def orders_for(svc: Services, workspace_id: str, period_start: datetime,
                     timing: str) -> list[SubscriptionOrder]:
    return [order_from_doc(d) for d in await find_by(   # grouped in a billing pass
        svc.db.subscription_orders, "workspace_id", workspace_id,
        {"period_start": period_start, "timing": timing}, [("created_at", 1)])]


async def open_with_addon(svc: Services, addon_id: str, statuses: tuple[str, ...],
                          limit: int) -> list[str]:
    return [d["_id"] async for d in svc.db.subscription_orders.find(
        {"addons.addon_id": addon_id, "status": {"$in": list(statuses)}},
        {"_id": 1}).limit(limit)]


async def set_pending(svc: Services, order_id: str, invoice_id: str,
                      invoice_code: str | None) -> None:
    """A new order got its invoice."""
    await svc.db.subscription_orders.update_one(
        {"_id": order_id, "status": "new"},
        {"$set": {"status": "pending", "invoice_id": invoice_id, "invoice_code": invoice_code}})


async def set_closed(svc: Services, order_id: str, was: tuple[str, ...]) -> None:
    """Closed, if its status is one of `was`."""
    await svc.db.subscription_orders.update_one(
        {"_id": order_id, "status": was[0] if len(was) == 1 else {"$in": list(was)}},
        {"$set": {"status": "closed"}})


async def set_paid(svc: Services, order_id: str, paid_at: datetime, invoice_id: str,
                   invoice_code: str | None) -> None:
    """Paid, whatever its status said (a paid invoice is the truth)."""
    await svc.db.subscription_orders.update_one(
        {"_id": order_id, "status": {"$ne": "paid"}},
        {"$set": {"status": "paid", "paid": {"at": paid_at}, "invoice_id": invoice_id,
                  "invoice_code": invoice_code}})


async def set_outcome(svc: Services, order_id: str, outcome: str) -> None:
    await svc.db.subscription_orders.update_one({"_id": order_id},
                                                {"$set": {"outcome": outcome}})


async def set_applied(svc: Services, order_id: str, applied: OrderApplied) -> None:
    await svc.db.subscription_orders.update_one({"_id": order_id}, {"$set": {
        "applied": applied_to_doc(applied.at, applied.addon_lines)}})
