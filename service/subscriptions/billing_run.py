"""The scheduled billing run: one pass over the subscriptions that are due.

A pass (`run_pass(svc, now)`):
1. expires unpaid invoices (issue 3's `settlement.expire_due`; it reads `svc.clock`);
2. for each subscription with `due_ms <= now` (or none yet), read `PAGE` at a time until
   none is left (all of them in one pass, each once): claims the page with one conditional
   update per period end `{_id in page, current_period_end: <read>, claim: null or lease
   expired} → claim {by, until}` (one worker wins each, across processes) and one find of
   what it won, then, all of the page at once (the next page's read and claim while it is in
   progress: `CONCURRENCY`), loops `billing.subscriptions.next_step` until
   it says Wait: issue the renewal invoice, roll over (apply the scheduled change / renew /
   lapse to Free), finish the boundary (plan sync, expiry, grant). Catch-up after downtime
   goes period by period. The claim is released with the next `due`, unless a use case wrote
   meanwhile (version changed): then `due` stays as that use case set it (now).
   The subscriptions in progress share their commands (service/mongo/grouped.py): `_id`
   reads (the ledger's balance reads too: PassLedger), single inserts, the period's orders
   and conditional updates on one `_id` (grouped_writes.py) become one command per
   collection per flush, invoice numbers one counter update (service/invoices/numbering.py),
   and releases one bulk write; each still sees only its own answer.
3. ends with the reconciliation check (service/reconcile/: balances against their ledger,
   ledger entries against their causes) and logs every violation at error level.

The claim only saves work: every step is idempotent by itself (versioned conditional updates,
deterministic order ids, ledger keys), so two passes at once change nothing more than one.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from billing.errors import NotFound
from billing.plans import FREE_PLAN, PlanTerms
from billing.subscriptions import Cycle, IssueRenewal, Rollover, Wait, next_step
from service.addons import renewals as addon_renewals
from service.addons.holdings import post_credits
from service.events.emit import TENANTS
from service.metrics import passes
from service.mongo.batching import GroupCommit
from service.mongo.grouped import GroupedDatabase
from service.payments.settlement import expire_due
from service.runtime.context import Services
from service.subscriptions import announce, orders
from service.subscriptions import state
from service.subscriptions.plans import load_plans
from service.reconcile.reconcile import count_failing, last_run
from service.subscriptions.records import LastChange, SubscriptionState
from service.subscriptions.releases import Chain, Release, release
from service.wallet.ledger import MongoLedger
from service.workspaces.lookup import workspace_by_id

log = logging.getLogger("saldo.billing_run")
MAX_STEPS = 500            # per subscription and pass: 40 years of monthly catch-up
PAGE = 1000               # due subscriptions read at a time
# subscriptions in progress at once, their commands grouped: two pages (issue 16: at 100,
# each grouped command carried 3-10 of them, 2.8 commands per subscription at 2,000; with
# whole pages, 0.7; README, Benchmarks)
CONCURRENCY = 2 * PAGE


class PassLedger:
    """`svc.ledger` during a pass: its balance reads go through the pass's grouped database
    (one find for the wallets in progress; without `wallets` set here, one per rollover);
    everything else, posts included, is the process's ledger itself, looked up at each call
    (a test that patches `svc.ledger.post` patches the pass too)."""

    def __init__(self, ledger: MongoLedger, db: GroupedDatabase) -> None:
        self._ledger, self.db = ledger, db
        self.wallets = db.wallets   # MongoLedger.balances reads it (else __getattr__'s: bill20)

    def __getattr__(self, name: str):
        return getattr(self._ledger, name)

    async def balances(self, workspace_id: str):
        if not isinstance(self._ledger, MongoLedger):
            return await self._ledger.balances(workspace_id)
        # MongoLedger's own read and decoding, on this view's `db`
        return await MongoLedger.balances(self, workspace_id)  # type: ignore[arg-type]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def run_pass(svc: Services, now: datetime | None = None,
                   worker: str | None = None) -> dict:
    now = now or svc.clock.now()
    worker = worker or worker_id()
    expired = await expire_due(svc, now)
    plans = await load_plans(svc.db)
    grouped = GroupedDatabase(svc.db)
    # `_id` reads, inserts and conditional updates grouped across the page, the ledger's
    # balance reads too
    pass_svc = replace(svc, db=grouped, ledger=PassLedger(svc.ledger, grouped))
    releases: GroupCommit[None, Release, None] = GroupCommit(
        lambda _, done: release(svc, worker, done), max_batch=PAGE)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(claimed: SubscriptionState) -> Counter:
        async with gate:
            return await _one(pass_svc, claimed, now, plans, releases)

    counts: Counter = Counter(expired_invoices=expired, due=0)
    seen: set[str] = set()
    # A page at a time, the next one read and claimed while the one before is in progress
    # (two cohorts in different steps: while one waits for the store, the other's answers
    # are worked on). The page in progress is still due until given back, so the read asks
    # for that many more and skips what it has seen; one that failed stays due and is
    # skipped for the rest of this pass. Memory: two pages and the ids seen.
    previous: asyncio.Future | None = None
    try:
        while page := [(ws, end) for ws, end in await state.due_at(
                svc, now, PAGE + (PAGE if previous else 0)) if ws not in seen][:PAGE]:
            seen.update(ws for ws, _ in page)
            counts["due"] += len(page)
            won = await state.claim_many(svc, page, worker,
                                         now + svc.settings.billing_claim_lease, now)
            if len(won) < len(page):
                counts["skipped"] += len(page) - len(won)
            current = asyncio.gather(*(one(won[ws]) for ws, _ in page if ws in won))
            if previous is not None:
                _add(counts, await previous)
            previous = current
        if previous is not None:
            _add(counts, await previous)
            previous = None
    finally:
        if previous is not None:        # a read or claim failed: let the page in progress end
            await asyncio.gather(previous, return_exceptions=True)
        await grouped.close()
        await releases.close()
    counts["not_reconciled"] = await check_reconciliation(svc, now)
    report = dict(counts)
    await passes.record(svc.db, report, now)      # GET /metrics reads it (service/metrics)
    log.info("billing pass", extra={"fields": {"now": now.isoformat(), **report}})
    return report


def _add(counts: Counter, results: list[Counter]) -> None:
    for result in results:
        counts.update(result)


async def _one(svc: Services, claimed: SubscriptionState, now: datetime,
               plans: dict[str, PlanTerms], releases: GroupCommit) -> Counter:
    """Process one claimed subscription, then give its claim back (grouped with others':
    service/subscriptions/releases.py)."""
    counts: Counter = Counter(claimed=1)
    done = Release(claimed.workspace_id, None, now)
    try:
        done = await process(svc, claimed, now, counts, plans)
    except Exception:
        log.exception("billing run failed for %s; the next pass retries", claimed.workspace_id)
        counts["errors"] += 1
    await releases.submit(done)
    return counts


async def process(svc: Services, claimed: SubscriptionState, now: datetime, counts: Counter,
                  plans: dict[str, PlanTerms]) -> Release:
    """Do everything due for one subscription at `now` (`claimed`: as its claim returned it);
    → what its release writes (releases.py). A boundary is posted (events, plan, expiry,
    grant), then removed: when the subscription then only waits, by the release (one write,
    conditional on the version; killed before it, the next pass posts again, idempotent, and
    removes it), else first."""
    settings, workspace_id, sub = svc.settings, claimed.workspace_id, claimed
    ending: SubscriptionState | None = None     # as read, its boundary posted, still stored
    chain = Chain(claimed)                      # the limits last announced, while known
    for _ in range(MAX_STEPS):
        sub = sub or await state.load(svc, workspace_id)
        chain.read(sub)
        if sub.outbox:              # journaled events whose saving process died (state.save)
            sub = await state.flush_outbox(svc, sub)
        if sub.boundary:            # its events first: the removal ends the boundary
            plan = await _workspace_plan(svc, workspace_id)
            chain.announced(await announce.boundary_crossed(svc, sub, sub.boundary, now, plans,
                                                            chain.limits))
            await state.post_boundary(svc, sub, plan, now)
            ending, sub = sub, replace(sub, boundary=None)
        if not sub.addon_credits:
            cycle, next_orders = await cycle_of(svc, sub, plans, now)
            step = next_step(cycle, now, lead=settings.renewal_lead,
                             grace=settings.renewal_grace, free=plans[FREE_PLAN], tz=settings.tz)
        if ending is not None and (sub.addon_credits or not isinstance(step, Wait)
                                   or next_orders is None or sub.addons or sub.scheduled_change):
            sub, ending = await state.end_boundary(svc, ending), None   # before it writes more
            chain.stepped(False, sub)
            continue
        if sub.addon_credits:                   # owed by an add-on change that died half-way
            await post_credits(svc, workspace_id, now)
            chain.stepped(False, sub)
            sub = None
            continue
        if isinstance(step, Wait):
            if now >= sub.current.end:      # ended unpaid: waiting out the grace
                await announce.grace_started(svc, sub, now)
            until = await addon_renewals.issue_due(svc, sub, plans, now, step.until)
            return Release(workspace_id, sub, until,
                           ending.boundary.start if ending and ending.boundary else None,
                           chain.limits)
        rolled = False
        if isinstance(step, IssueRenewal):
            await _issue(svc, sub, step, now, plans, next_orders)
            counts["renewals_issued"] += 1
        elif rolled := await _roll(svc, sub, step, now, next_orders):
            counts[f"rolled_{step.reason}"] += 1
        chain.stepped(rolled, sub)
        sub = None                          # it wrote: read it again
    raise RuntimeError(f"{workspace_id}: more than {MAX_STEPS} billing steps in one pass")


async def _workspace_plan(svc: Services, workspace_id: str) -> str | None:
    """The workspace's plan as stored (state.post_boundary syncs it), its reseller remembered
    (the boundary's events are about it: emitting them reads nothing more)."""
    try:
        workspace = await workspace_by_id(svc, workspace_id)
    except NotFound:
        return None
    TENANTS.remember(svc.db, workspace_id, workspace.reseller_id)
    return workspace.plan


async def cycle_of(svc: Services, sub: SubscriptionState, plans: dict,
                   now: datetime) -> tuple[Cycle, list | None]:
    """The cycle `next_step` decides on, and the orders of the next period as read (None when
    one was re-driven: read them again)."""
    next_orders = await orders.orders_for(svc, sub.workspace_id, sub.current.end)
    redriven = False
    for order in next_orders:       # its issuer died (or failed) before placing the invoice;
        if order.status == "new":   # placing is idempotent by the order's seed
            await orders.redrive(svc, order, now)
            redriven = True
    return Cycle(state.current_choice(sub, plans), sub.current,
                 state.anchor_day(sub, svc.settings.tz), state.scheduled_choice(sub, plans),
                 orders.status_by_choice(next_orders),
                 min((o.created_at for o in next_orders), default=None)), (
        None if redriven else next_orders)


async def _issue(svc: Services, sub: SubscriptionState, step: IssueRenewal, now: datetime,
                 plans: dict[str, PlanTerms], read: list | None = None) -> None:
    workspace = await workspace_by_id(svc, sub.workspace_id)
    TENANTS.remember(svc.db, workspace.id, workspace.reseller_id)   # its events read nothing
    current = state.current_choice(sub, plans)
    spec = orders.OrderSpec(sub.workspace_id, current, step.target, step.covers, "end_of_term",
                            step.invoice_type, step.target.plan.price(step.target.unit), "",
                            await addon_renewals.plan_order_lines(svc, sub, step.target,
                                                                  step.covers))
    known = read if step.covers.start == sub.current.end else None   # what cycle_of read
    _, invoice, _ = await orders.issue(svc, workspace, spec, now, read=known)
    await orders.fulfil_paid(svc, invoice, now)                   # paid by account credit


async def _roll(svc: Services, sub: SubscriptionState, step: Rollover, now: datetime,
                read: list | None = None) -> bool:
    """Move into the next period; False when it lost a race (the caller re-reads). `read`: the
    ended period's next orders as `cycle_of` just read them (None: read them)."""
    ended = sub.current
    if read is None:
        read = await orders.orders_for(svc, sub.workspace_id, ended.end)
    open_orders = [o for o in read if o.status in orders.OPEN]
    if step.reason == "lapsed" and open_orders:
        for order in open_orders:     # first make them unpayable, then decide again
            await orders.cancel_order(svc, order.id, now)
        return False
    rolled_over = replace(
        sub, plan=step.target.plan.id, period=step.target.unit, current=step.period,
        scheduled_change=None, status="active",
        boundary=state.boundary_of(ended, step.period, step.target, step.expire_old))
    if step.reason != "renewed":
        rolled_over = replace(rolled_over, last_change=LastChange(
            step.reason, now, from_plan=sub.plan, plan=step.target.plan.id,
            effective_at=ended.end))
    await addon_renewals.settle_renewals(svc, sub.workspace_id, step.period.start, now)
    addon_changes, rolled = await addon_renewals.rollover_changes(svc, sub, step, now)
    if sub.boundary or not await state.save(svc, replace(rolled_over, **addon_changes), now):
        return False
    for order in open_orders:         # invoices of the ended boundary that were not used
        if order.key != step.target.key:
            await orders.cancel_order(svc, order.id, now)
    await addon_renewals.after_rollover(svc, sub, step, rolled, now)
    return True


async def check_reconciliation(svc: Services, now: datetime) -> int:
    """Workspaces that do not reconcile (each violation is logged at error level there). A full
    run reads the whole ledger (minutes at 1,000,000 entries), so a pass runs one only when the
    kept run (service/reconcile/runs.py) is older than `reconcile_every` (or later than `now`:
    the time machine went back); otherwise it reports that run's count."""
    every = svc.settings.reconcile_every
    if every > timedelta(0):
        kept = await last_run(svc)
        if kept is not None and kept.at <= now < kept.at + every:
            return kept.failing
    return await count_failing(svc, now)
