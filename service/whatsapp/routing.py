"""Which workspace a phone number belongs to, and its prices: asked of the workspaces feature
(phone numbers, rate overrides) and of the plans (their rates), in the main database (not the
WhatsApp log), and kept until they change.

At scale (issue 16: 100,000 workspaces) Meta brings a phone number back every few minutes, long
after a cache of a few seconds forgot it, so a route is kept until the routes' revision moves
(service/whatsapp/route_revision.py: one small document that every change of a route moves,
when it begins and when it ends). Each process reads the revision in the background once it is
`CHECK_EVERY` old, and waits for it only once it is `ROUTE_CACHE_SECONDS` old (an idle process):
so a route served was confirmed by a read of the revision that started at most
`ROUTE_CACHE_SECONDS` before. When the revision moved, everything cached is dropped. What is read
while a change is in progress, and a number without a workspace (the creation of a workspace
only adds routes, so it does not move the revision), is kept `ROUTE_CACHE_SECONDS` only.

The routes missing in all the requests queued meanwhile are read together (service/mongo/
batching.py): one `phone_numbers` find and one `workspaces` find per flush, whatever the number
of requests. The plans' rates are cached apart (a handful of documents), by the same rule. The
routes sit in a bounded dict (least recently used dropped first): `MAX_ROUTES` compact entries.

Freshness: a change is seen within `ROUTE_CACHE_SECONDS` by every process (as when routes were
kept that long), and at once in the process that made it: `changing()` (wrapped around the
writes wherever this service changes a phone number, a workspace's plan or rates, or a plan's
rates) drops everything in this process when its writes are done, and a read that was in flight
meanwhile is not kept. Time is `monotonic` (injected: tests move it by hand)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import AsyncIterator, Callable, Iterable, Mapping

from pymongo.asynchronous.database import AsyncDatabase

from billing.money import Money
from billing.rates import RateCard
from service.mongo.batching import GroupCommit
from service.subscriptions.plans import plan_rates
from service.whatsapp.route_revision import WRITE_LEASE, RouteRevision
from service.workspaces.lookup import phone_owners, workspace_ratings

log = logging.getLogger("saldo.routing")
ROUTE_CACHE_SECONDS = 5.0  # the longest another process's change of a route takes to be seen
CHECK_EVERY = ROUTE_CACHE_SECONDS / 2   # the revision is read again (in the background) after it
MAX_ROUTES = 150_000       # routes kept (~200 B each, tracemalloc: ~30 MB at most)
MAX_BRIEF = 10_000         # numbers without a route, and routes read during a change
MAX_BATCH = 500            # requests whose missing routes one flush reads


@dataclass(frozen=True, slots=True)
class Route:
    """Which workspace a phone number belongs to, and its prices."""
    workspace_id: str
    rates: RateCard


class Routing:
    def __init__(self, db: AsyncDatabase, *, max_routes: int = MAX_ROUTES,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.max_routes = max_routes
        self.revision = RouteRevision(db)
        self._now = monotonic
        self._routes: dict[str, Route] = {}     # kept until the revision moves (LRU order)
        self._brief: dict[str, tuple[float, Route | None]] = {}   # kept ROUTE_CACHE_SECONDS
        self._plans: dict[str, tuple[float | None, Mapping[str, Money] | None]] = {}  # None: kept
        self._cards: dict[str, RateCard] = {}   # plan → its card, shared by every route without overrides
        self.hits = self.misses = 0             # phone numbers found fresh in the cache, or read
        self._generation = 0     # bumped by forget(): a read started before it is not kept
        self._known: int | None = None          # the revision's counter as last read
        self._settled = False                   # and no change was in progress then
        self._checked_at = -math.inf            # when that read started
        self._checking: asyncio.Task | None = None
        self._open_since: dict[str, float] = {}     # changes in progress: when first seen
        self._reads: GroupCommit[None, frozenset[str], dict[str, Route | None]] = GroupCommit(
            self._read_routes, max_batch=MAX_BATCH)

    @contextlib.asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """Around the writes that change a phone number, a workspace's plan or rate overrides, or
        a plan's rates: other processes see it within ROUTE_CACHE_SECONDS, this one at once."""
        async with self.revision.changing():
            try:
                yield
            finally:
                self.forget()

    def forget(self, phones: Iterable[str] | None = None) -> None:
        """This process drops what it keeps (of these phone numbers only: a new workspace's)."""
        if phones is None:
            self._routes.clear()
            self._brief.clear()
            self._plans.clear()
            self._cards.clear()
        else:
            for phone in phones:
                self._routes.pop(phone, None)
                self._brief.pop(phone, None)
        self._generation += 1

    async def routes(self, phone_number_ids: set[str]) -> dict[str, Route]:
        now = await self._checked(self._now())
        fresh, missing = self._cached(phone_number_ids, now)
        self.hits += len(fresh)
        self.misses += len(missing)
        if missing:
            fresh.update(await self._reads.submit(frozenset(missing)))
        return {p: r for p, r in fresh.items() if r is not None}

    async def rates_for(self, workspace_ids: set[str]) -> dict[str, RateCard]:
        """The rate card of each workspace that exists (its plan and overrides only)."""
        ratings = await workspace_ratings(self.db, workspace_ids)
        rates = await self._plan_rates({plan for plan, _ in ratings.values()},
                                       await self._checked(self._now()))
        return {ws: self._card(plan, rates.get(plan, {}), overrides)
                for ws, (plan, overrides) in ratings.items()}

    async def check(self) -> None:
        """Read the revision: drop everything if it moved; keep what is read from now on until
        it moves, unless a change is in progress (then ROUTE_CACHE_SECONDS only)."""
        started = self._now()
        revision = await self.revision.read()
        seen = self._now()          # after the read: a change is at least this old
        if revision.n != self._known:
            self.forget()
            self._known = revision.n
        self._open_since = {t: self._open_since.get(t, seen) for t in revision.open}
        dead = [t for t, since in self._open_since.items() if seen - since >= WRITE_LEASE]
        self._settled = len(dead) == len(revision.open)
        self._checked_at = max(self._checked_at, started)
        if dead:
            log.warning("routing revision: changes open for %.0f s taken for dead: %s",
                        WRITE_LEASE, dead)
            await self.revision.drop(dead)

    async def close(self) -> None:
        if self._checking is not None:
            await asyncio.gather(self._checking, return_exceptions=True)

    async def _checked(self, now: float) -> float:
        """`now`, once the revision was read less than ROUTE_CACHE_SECONDS before (waiting for
        it only then); past CHECK_EVERY, a read starts in the background."""
        age = now - self._checked_at
        if age >= CHECK_EVERY and self._checking is None:
            self._checking = asyncio.create_task(self.check())
            self._checking.add_done_callback(self._check_done)
        if age >= ROUTE_CACHE_SECONDS and self._checking is not None:
            await asyncio.shield(self._checking)
            return self._now()
        return now

    def _check_done(self, task: asyncio.Task) -> None:
        self._checking = None
        if not task.cancelled() and task.exception() is not None:   # the waiters raise it too
            log.warning("routing revision: read failed: %r", task.exception())

    def _kept(self, now: float) -> bool:
        """Whether what is read from `now` on is kept until the revision moves."""
        return self._settled and now - self._checked_at < ROUTE_CACHE_SECONDS

    def _card(self, plan: str, rates: Mapping[str, Money], overrides: dict[str, Money]) -> RateCard:
        """The workspace's card; without overrides, the one its plan's routes share (made again
        when the plan's rates were read again)."""
        if overrides:
            return RateCard(dict(rates), overrides)
        card = self._cards.get(plan)
        if card is None or card.plan_rates != rates:
            card = self._cards[plan] = RateCard(dict(rates), {})
        return card

    def _cached(self, phones: set[str], now: float) -> tuple[dict[str, Route | None], set[str]]:
        """(the routes cached and fresh, the phones to read); a hit becomes the most recent."""
        fresh: dict[str, Route | None] = {}
        kept = now - self._checked_at < ROUTE_CACHE_SECONDS
        for phone in phones:                 # only the request's numbers, not a walk of the cache
            route = self._routes.pop(phone, None) if kept else None
            if route is not None:
                self._routes[phone] = fresh[phone] = route
                continue
            hit = self._brief.get(phone)
            if hit is not None and now - hit[0] < ROUTE_CACHE_SECONDS:
                fresh[phone] = hit[1]
        return fresh, phones - fresh.keys()

    async def _read_routes(self, _key: None, asks: list[frozenset[str]]) -> list[dict[str, Route | None]]:
        """One flush: the routes of every phone the queued requests miss, read together."""
        now, generation = self._now(), self._generation
        kept = self._kept(now)       # decided before the reads start
        found, missing = self._cached(set().union(*asks), now)  # a flush just before may have read some
        if missing:
            owners = await phone_owners(self.db, missing)
            rates = await self.rates_for(set(owners.values()))
            for phone in missing:
                ws = owners.get(phone)
                found[phone] = Route(ws, rates[ws]) if ws in rates else None
            if generation == self._generation:
                for phone in missing:
                    self._remember(phone, now, found[phone], kept)
        return [{phone: found[phone] for phone in ask} for ask in asks]

    def _remember(self, phone: str, now: float, route: Route | None, kept: bool) -> None:
        if kept and route is not None:
            self._brief.pop(phone, None)
            self._routes[phone] = route
            while len(self._routes) > self.max_routes:
                del self._routes[next(iter(self._routes))]
            return
        self._brief.pop(phone, None)
        self._brief[phone] = (now, route)
        while len(self._brief) > MAX_BRIEF:
            del self._brief[next(iter(self._brief))]

    async def _plan_rates(self, plan_ids: set[str], now: float) -> dict[str, Mapping[str, Money]]:
        """The rates of those of these plans that exist, read again once stale (one find)."""
        generation, kept = self._generation, self._kept(now)
        fresh = now - self._checked_at < ROUTE_CACHE_SECONDS
        stale = {p for p in plan_ids if (hit := self._plans.get(p)) is None
                 or (now - hit[0] >= ROUTE_CACHE_SECONDS if hit[0] is not None else not fresh)}
        cached = {p: self._plans[p][1] for p in plan_ids - stale}   # before a forget() can clear it
        read = await plan_rates(self.db, stale) if stale else {}
        if stale and generation == self._generation:
            self._plans.update({p: (None if kept else now, read.get(p)) for p in stale})
        return {p: r for p, r in {**cached, **read}.items() if r is not None}
