"""The subscription document (`subscriptions`, `_id` = workspace id) and its safe writes.

No transactions: every write is one conditional write guarded by `version` (optimistic
concurrency; a missing version matches null, so documents created by `create_workspace` work).
Decisions are saved with `replace_one({_id, version})` of the whole document: NX-27017 stores a
top-level datetime given to `$set` as a string (sub-documents and replaces keep their types),
so the few `$set`s here write datetimes only inside sub-documents, and all of them `$inc` the
version so that a replace never overwrites them. Every write by a use case also sets
`due: {at: now}`, so the billing run looks at the subscription again on its next pass.

A period boundary is two steps, each idempotent (a process may die between them):
1. the versioned update moves the period and records `boundary` {ended_start, start, expire,
   grant, plan};
2. `finish_boundary` syncs `workspaces.plan`, posts `expiry:{ws}:{ended_start}` (everything
   left in `granted`, unless the ended plan rolls over) and `grant:{ws}:{start}` in one ledger
   post, then removes `boundary`. Any later pass or read finishes a boundary left behind.
"""
from __future__ import annotations

import asyncio
import random
from datetime import datetime, tzinfo

from billing import ledger_keys
from billing.errors import Conflict, NotFound
from billing.money import Money
from billing.periods import Period, next_period
from billing.plans import PlanTerms, find_plan
from billing.subscriptions import Choice
from billing.wallet import LedgerIntent
from service.runtime.context import Services
from service.workspaces.lookup import follow_plan

RETRIES = 8
# What was paid for is applied however many writers race on the subscription: each round of a
# race has a winner, so enough attempts, spread by a short random pause, apply them all.
PAID_RETRIES = 200
BACKOFF_S = 0.002


async def start(svc: Services, workspace_id: str, plan_id: str, period: Period,
                gift: dict | None, now: datetime) -> None:
    """The subscription of a new workspace: `plan_id`, monthly, from `period` (its first)."""
    await svc.db.subscriptions.insert_one({
        "_id": workspace_id, "plan": plan_id, "period": "monthly", "anchor": period.start,
        "current_period_start": period.start, "current_period_end": period.end,
        "status": "active", "scheduled_change": None, "complimentary": gift, "created_at": now})


async def load(svc: Services, workspace_id: str) -> dict:
    doc = await svc.db.subscriptions.find_one({"_id": workspace_id})
    if doc is None:
        raise NotFound("Subscription not found")
    return doc


async def plan_and_unit(svc: Services, workspace_id: str) -> tuple[str, str]:
    """The subscription's plan and billing unit (Free, monthly if it has none yet)."""
    doc = await svc.db.subscriptions.find_one({"_id": workspace_id}) or {}
    return doc.get("plan", "free"), doc.get("period", "monthly")


async def holding_addon(svc: Services, addon_id: str, limit: int = 100) -> list[str]:
    """Subscriptions that hold `addon_id` or whose scheduled change asks for it."""
    held = {"$or": [{f"addons.{addon_id}": {"$exists": True}},
                    {f"scheduled_change.addons.{addon_id}": {"$exists": True}}]}
    return [d["_id"] async for d in svc.db.subscriptions.find(held, {"_id": 1}).limit(limit)]


async def forget_credits(svc: Services, workspace_id: str, keys: list[str]) -> None:
    """Drop the add-on credits with these keys (posted): one atomic $pull, no read-decide-write
    to lose; the version bump keeps a replace from restoring them."""
    # NX-27017 matches no `{"addon_credits.key": {"$in": …}}`: an $or of equalities instead
    await svc.db.subscriptions.update_one(
        {"_id": workspace_id, "$or": [{"addon_credits.key": k} for k in keys]},
        {"$pull": {"addon_credits": {"key": {"$in": keys}}}, "$inc": {"version": 1}})


async def drop_waiting_change(svc: Services, workspace_id: str, order_id: str, outcome: str,
                              now: datetime) -> None:
    """The scheduled change that waited for `order_id` is dropped (its invoice closed)."""
    await svc.db.subscriptions.update_one(
        {"_id": workspace_id, "scheduled_change.order_id": order_id},
        {"$set": {"scheduled_change": None, "due": {"at": now},
                  "last_change": {"order_id": order_id, "outcome": outcome, "at": now}},
         "$inc": {"version": 1}})


async def due_at(svc: Services, now: datetime, limit: int) -> list[tuple[str, datetime]]:
    """(workspace id, current period end) of the subscriptions the billing run should look at
    by `now` (or never looked at), the longest waiting first."""
    return [(d["_id"], d["current_period_end"]) async for d in svc.db.subscriptions.find(
        {"$or": [{"due.at": {"$lte": now}}, {"due": None}]},
        {"_id": 1, "current_period_end": 1}).sort("due.at", 1).limit(limit)]


async def claim(svc: Services, workspace_id: str, period_end: datetime, worker: str,
                until: datetime, now: datetime) -> bool:
    """One conditional update: only one worker wins a subscription (until its lease ends)."""
    claimed = await svc.db.subscriptions.update_one(
        {"_id": workspace_id, "current_period_end": period_end,
         "$or": [{"claim": None}, {"claim.until": {"$lte": now}}]},
        {"$set": {"claim": {"by": worker, "until": until}}, "$inc": {"version": 1}})
    return claimed.matched_count == 1


async def release(svc: Services, workspace_id: str, worker: str, last: dict | None,
                  due: datetime) -> None:
    """Give the claim back with the next due time, unless a use case wrote after `last` (the
    version changed: its `due` stands) or the pass failed (`last` None)."""
    released = last is not None and (await svc.db.subscriptions.update_one(
        {"_id": workspace_id, "claim.by": worker, "version": last.get("version")},
        {"$set": {"claim": None, "due": {"at": due}}, "$inc": {"version": 1}})).matched_count
    if not released:
        await svc.db.subscriptions.update_one({"_id": workspace_id, "claim.by": worker},
                                              {"$set": {"claim": None}, "$inc": {"version": 1}})


def period_of(doc: dict) -> Period:
    return Period(doc["current_period_start"], doc["current_period_end"])


def anchor_day(doc: dict, tz: tzinfo) -> int:
    return doc["anchor"].astimezone(tz).day


def next_period_for(doc: dict, unit: str, tz: tzinfo) -> Period:
    return next_period(period_of(doc), unit, anchor_day(doc, tz), tz)


def current_choice(doc: dict, plans: dict[str, PlanTerms]) -> Choice:
    return Choice(find_plan(plans, doc["plan"]), doc["period"])


def scheduled_choice(doc: dict, plans: dict[str, PlanTerms]) -> Choice | None:
    change = doc.get("scheduled_change")
    if not change or change.get("timing") == "immediate":
        return None
    return Choice(find_plan(plans, change["plan"]), change["period"])


async def save(svc: Services, doc: dict, changes: dict, now: datetime) -> bool:
    """One versioned replace; False when someone else wrote first (re-read and decide again)."""
    new = {**doc, **changes, "version": (doc.get("version") or 0) + 1, "due": {"at": now}}
    result = await svc.db.subscriptions.replace_one(
        {"_id": doc["_id"], "version": doc.get("version")}, new)
    return result.matched_count == 1


async def retrying(attempt, what: str, attempts: int = RETRIES):
    """Run `attempt()` (read, decide, versioned write) until it does not lose a race; after a
    loss, a random pause that grows with the losses, so the losers do not read together again."""
    for lost in range(attempts):
        result = await attempt()
        if result is not None:
            return result
        await asyncio.sleep(random.uniform(0, BACKOFF_S * min(lost + 1, 16)))  # backoff
    raise Conflict(f"The subscription changed while {what}; try again")


async def poke(svc: Services, workspace_id: str, now: datetime) -> None:
    """Ask the billing run to look at this subscription on its next pass (the version bump
    tells a pass holding the claim not to overwrite `due` when it releases it)."""
    await svc.db.subscriptions.update_one({"_id": workspace_id},
                                          {"$set": {"due": {"at": now}}, "$inc": {"version": 1}})


async def sync_workspace_plan(svc: Services, workspace_id: str, plan_id: str) -> None:
    """`workspaces.plan` drives the rate card (`Routing.rates_for`); it follows the subscription."""
    await follow_plan(svc, workspace_id, plan_id)
    svc.routing.forget()


def boundary_doc(ended: Period, new: Period, target: Choice, expire: bool) -> dict:
    return {"ended_start": ended.start, "start": new.start, "plan": target.plan.id,
            "expire": expire, "grant": target.plan.grant.amount,
            "currency": target.plan.grant.currency}


async def finish_boundary(svc: Services, doc: dict, now: datetime) -> dict:
    boundary = doc.get("boundary")
    if not boundary:
        return doc
    ws = doc["_id"]
    await sync_workspace_plan(svc, ws, doc["plan"])
    intents = []
    if boundary["expire"]:
        left = (await svc.ledger.balances(ws))["conversation"].granted
        if not left.is_zero():
            intents.append(LedgerIntent(
                ledger_keys.expiry(ws, boundary["ended_start"]), "expiry", "conversation",
                left, {"period_start": boundary["ended_start"].isoformat()}))
    if boundary["grant"] > 0:
        intents.append(LedgerIntent(
            ledger_keys.grant(ws, boundary["start"]), "grant", "conversation",
            Money(boundary["grant"], boundary["currency"]),
            {"plan": boundary["plan"], "period_start": boundary["start"].isoformat(),
             "period_end": doc["current_period_end"].isoformat()}))
    await svc.ledger.post(ws, intents, now)
    await svc.db.subscriptions.update_one({"_id": ws, "boundary.start": boundary["start"]},
                                          {"$unset": {"boundary": ""}, "$inc": {"version": 1}})
    return await load(svc, ws)
