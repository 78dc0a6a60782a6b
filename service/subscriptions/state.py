"""The subscription state (`SubscriptionState`, service/subscriptions/repository.py stores it)
as the other use cases use it: read, the versioned save and its retry loop, the small writes
that need no read (claim, release, poke, credits posted), and the period boundary.

Every write is conditional (optimistic concurrency on `version`, see the repository); every
write by a use case also makes the subscription due at once, so the billing run looks at it
again on its next pass.

A period boundary is two steps, each idempotent (a process may die between them):
1. the versioned save moves the period and records `boundary` {ended_start, start, expire,
   grant, plan};
2. `finish_boundary` syncs `workspaces.plan`, posts `expiry:{ws}:{ended_start}` (everything
   left in `granted`, unless the ended plan rolls over) and `grant:{ws}:{start}` in one ledger
   post, then removes `boundary`. Any later pass or read finishes a boundary left behind.
   The billing pass posts (`post_boundary`) and leaves the removal to the release of its
   claim when nothing else is due (`release_many`'s `ended`, one write instead of two).
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Mapping, Sequence

from billing import ledger_keys
from billing.errors import Conflict, NotFound
from billing.periods import Period, next_period
from billing.plans import PlanTerms, find_plan
from billing.subscriptions import Choice
from billing.wallet import LedgerIntent
from service.runtime.context import Services
from service.events.emit import insert_events
from service.subscriptions import repository
from service.subscriptions.records import Boundary, Gift, SubscriptionState
from service.workspaces.lookup import follow_plan, workspace_by_id

RETRIES = 8
# What was paid for is applied however many writers race on the subscription: each round of a
# race has a winner, so enough attempts, spread by a short random pause, apply them all.
PAID_RETRIES = 200
BACKOFF_S = 0.002
poke = repository.poke          # due at once (the version bump: a claim's release keeps it)
claim_many = repository.claim_many   # a page's claims: one worker wins each (until its lease)
due_at = repository.due_at      # (workspace id, period end) due by `now` (or never looked at)


async def save(svc: Services, s: SubscriptionState, now: datetime,
               events: Sequence[Mapping] = ()) -> bool:
    """Write `s` (a `replace` of a record read) as the next version, due at once, with the
    `events` this write raises journaled in it (`outbox`); False when someone wrote first.
    The journal makes the events as durable as the write (no transaction needed): they are
    inserted after it and the journal dropped; a process that dies in between leaves them in
    the document, and whoever reads it next inserts them (the next save, before it replaces
    the journal; the billing run, `flush_outbox`). Their ids drop duplicates."""
    if s.outbox:                        # journaled by an earlier save, maybe never inserted
        await insert_events(svc.db, [dict(e) for e in s.outbox])
    if not await repository.save(svc, replace(s, outbox=tuple(events)), now):
        return False
    if events:
        await flush_outbox(svc, replace(s, outbox=tuple(events), version=(s.version or 0) + 1))
    return True


async def flush_outbox(svc: Services, sub: SubscriptionState) -> SubscriptionState:
    """Insert the events `sub`'s save journaled and drop the journal. → `sub` without it."""
    if sub.outbox:
        await insert_events(svc.db, [dict(e) for e in sub.outbox])
        await repository.clear_outbox(svc, sub.workspace_id, sub.version)
    return replace(sub, outbox=())


async def start(svc: Services, workspace_id: str, plan_id: str, period: Period,
                gift: Gift | None, now: datetime) -> None:
    """The subscription of a new workspace: `plan_id`, monthly, from `period` (its first)."""
    await repository.insert(svc, SubscriptionState(
        workspace_id, plan_id, "monthly", period.start, period, "active", None, gift, now,
        None))


async def load(svc: Services, workspace_id: str) -> SubscriptionState:
    sub = await repository.get(svc, workspace_id)
    if sub is None:
        raise NotFound("Subscription not found")
    return sub


async def plan_and_unit(svc: Services, workspace_id: str) -> tuple[str, str]:
    """The subscription's plan and billing unit (Free, monthly if it has none yet)."""
    sub = await repository.get(svc, workspace_id)
    return (sub.plan, sub.period) if sub else ("free", "monthly")


async def holding_addon(svc: Services, addon_id: str, limit: int = 100) -> list[str]:
    """Subscriptions that hold `addon_id` or whose scheduled change asks for it."""
    return await repository.holding_addon(svc, addon_id, limit)


async def forget_credits(svc: Services, workspace_id: str, keys: list[str]) -> None:
    """Drop the add-on credits with these keys (posted): one atomic $pull, no read-decide-write
    to lose; the version bump keeps a replace from restoring them."""
    await repository.forget_credits(svc, workspace_id, keys)


async def release_many(svc: Services, worker: str,
                       done: list[tuple[str, SubscriptionState | None, datetime]],
                       ended: Mapping[str, datetime] | None = None,
                       announced: Mapping[str, Mapping] | None = None) -> None:
    """Give the claims back, each `(workspace id, last state, next due time)` with that due time,
    unless a use case wrote after its last state (the version changed: its `due` stands) or
    the pass failed for it (last state None). `ended`: workspace id → the start of the
    boundary its last state posted but still holds (finish_boundary's step 2 without its
    removal): removed by the same conditional write (kept if someone wrote meanwhile: then
    the next pass or read finishes it). `announced`: workspace id → the limits its last
    `entitlements.changed` carries, recorded with the release's version (releases.py)."""
    ended, announced = ended or {}, announced or {}
    await repository.release_many(svc, worker, [
        (ws, last.version if last else None, due if last is not None else None,
         ended.get(ws) if last is not None else None,
         announced.get(ws) if last is not None else None)
        for ws, last, due in done])


def period_of(sub: SubscriptionState) -> Period:
    return sub.current


def anchor_day(sub: SubscriptionState, tz: tzinfo) -> int:
    return sub.anchor.astimezone(tz).day


def next_period_for(sub: SubscriptionState, unit: str, tz: tzinfo) -> Period:
    return next_period(sub.current, unit, anchor_day(sub, tz), tz)


def current_choice(sub: SubscriptionState, plans: dict[str, PlanTerms]) -> Choice:
    return Choice(find_plan(plans, sub.plan), sub.period)


def scheduled_choice(sub: SubscriptionState, plans: dict[str, PlanTerms]) -> Choice | None:
    change = sub.scheduled_change
    if change is None or change.timing == "immediate":
        return None
    return Choice(find_plan(plans, change.plan), change.period)


async def retrying(attempt, what: str, attempts: int = RETRIES):
    """Run `attempt()` (read, decide, versioned write) until it does not lose a race; after a
    loss, a random pause that grows with the losses, so the losers do not read together again."""
    for lost in range(attempts):
        result = await attempt()
        if result is not None:
            return result
        await asyncio.sleep(random.uniform(0, BACKOFF_S * min(lost + 1, 16)))  # backoff
    raise Conflict(f"The subscription changed while {what}; try again")


async def sync_workspace_plan(svc: Services, workspace_id: str, plan_id: str) -> None:
    """`workspaces.plan` drives the rate card (`Routing.rates_for`); it follows the subscription."""
    async with svc.routing.changing():      # other processes: service/whatsapp/route_revision.py
        await follow_plan(svc, workspace_id, plan_id)


async def _workspace_plan(svc: Services, workspace_id: str) -> str | None:
    try:
        return (await workspace_by_id(svc, workspace_id)).plan
    except NotFound:
        return None


def boundary_of(ended: Period, new: Period, target: Choice, expire: bool) -> Boundary:
    return Boundary(ended.start, new.start, target.plan.id, expire, target.plan.grant)


async def finish_boundary(svc: Services, sub: SubscriptionState,
                          now: datetime) -> SubscriptionState:
    if sub.boundary is None:
        return sub
    await post_boundary(svc, sub, await _workspace_plan(svc, sub.workspace_id), now)
    return await end_boundary(svc, sub)


async def post_boundary(svc: Services, sub: SubscriptionState, workspace_plan: str | None,
                        now: datetime) -> None:
    """Step 2 of the boundary `sub` holds without its last write: `workspaces.plan` synced
    (`workspace_plan`: as read; a renewal on the same plan leaves it as it is), the expiry and
    the grant posted (idempotent by their ledger keys). The boundary stays stored until
    `end_boundary` (or the billing pass's release) removes it."""
    boundary, ws = sub.boundary, sub.workspace_id
    assert boundary is not None
    if workspace_plan != sub.plan:
        await sync_workspace_plan(svc, ws, sub.plan)
    intents = []
    if boundary.expire:
        left = (await svc.ledger.balances(ws))["conversation"].granted
        if not left.is_zero():
            intents.append(LedgerIntent(
                ledger_keys.expiry(ws, boundary.ended_start), "expiry", "conversation",
                left, {"period_start": boundary.ended_start.isoformat()}))
    if boundary.grant.amount > 0:
        intents.append(LedgerIntent(
            ledger_keys.grant(ws, boundary.start), "grant", "conversation", boundary.grant,
            {"plan": boundary.plan, "period_start": boundary.start.isoformat(),
             "period_end": sub.current.end.isoformat()}))
    await svc.ledger.post(ws, intents, now)


async def end_boundary(svc: Services, sub: SubscriptionState) -> SubscriptionState:
    """Remove `sub`'s boundary (posted) if nothing wrote since it was read; else → it read
    again (the boundary stays until a later finish)."""
    assert sub.boundary is not None
    ws = sub.workspace_id
    if await repository.end_boundary(svc, ws, sub.boundary.start, sub.version):
        return replace(sub, boundary=None, version=(sub.version or 0) + 1)  # as now stored
    return await load(svc, ws)
