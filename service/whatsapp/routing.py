"""Which workspace a phone number belongs to, and its prices: asked of the workspaces feature
(phone numbers, rate overrides) and of the plans (their rates), in the main database (not the
WhatsApp log), and kept a few seconds.

At scale (issue 16: 100,000 workspaces) most webhooks name a phone number whose route is not
cached, so the reads are group-committed (service/mongo/batching.py): the routes missing in all
the requests queued meanwhile are read together, one `phone_numbers` find and one `workspaces`
find per flush, whatever the number of requests. The plans' rates are cached apart (a handful
of documents, read again once `ROUTE_CACHE_SECONDS` old or on `forget()`), and the routes sit in
an LRU bounded to `MAX_ROUTES` entries (a few MB), so that many numbers do not grow the process.

Freshness is as before: `forget()` (called wherever this service changes a phone number, a
workspace's plan or rates, or a plan's prices) drops everything at once in this process, and a
read that was in flight while it was called is not kept; other processes (several web
processes, the billing jobs) see a change within `ROUTE_CACHE_SECONDS`."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Mapping

from pymongo.asynchronous.database import AsyncDatabase

from billing.money import Money
from billing.rates import RateCard
from service.mongo.batching import GroupCommit
from service.subscriptions.plans import plan_rates
from service.workspaces.lookup import phone_owners, workspace_ratings

ROUTE_CACHE_SECONDS = 5.0  # phone → workspace, plan → rates; PATCH on this instance clears it at once
MAX_ROUTES = 10_000        # LRU bound (~290 B a route: ~3 MB); a 5 s window at 1,000 req/s sees 5,000
MAX_BATCH = 500            # requests whose missing routes one flush reads


@dataclass(frozen=True, slots=True)
class Route:
    """Which workspace a phone number belongs to, and its prices."""
    workspace_id: str
    rates: RateCard


class Routing:
    def __init__(self, db: AsyncDatabase, *, max_routes: int = MAX_ROUTES) -> None:
        self.db = db
        self.max_routes = max_routes
        self._routes: OrderedDict[str, tuple[float, Route | None]] = OrderedDict()
        self._plans: dict[str, tuple[float, Mapping[str, Money] | None]] = {}
        self._cards: dict[str, RateCard] = {}   # plan → its card, shared by every route without overrides
        self.hits = self.misses = 0             # phone numbers found fresh in the cache, or read
        self._generation = 0     # bumped by forget(): a read started before it is not cached
        self._reads: GroupCommit[None, frozenset[str], dict[str, Route | None]] = GroupCommit(
            self._read_routes, max_batch=MAX_BATCH)

    def forget(self) -> None:
        """A phone number, a workspace's plan or rates, or a plan's prices changed."""
        self._routes.clear()
        self._plans.clear()
        self._cards.clear()
        self._generation += 1

    async def routes(self, phone_number_ids: set[str]) -> dict[str, Route]:
        fresh, missing = self._cached(phone_number_ids, time.monotonic())
        self.hits += len(fresh)
        self.misses += len(missing)
        if missing:
            fresh.update(await self._reads.submit(frozenset(missing)))
        return {p: r for p, r in fresh.items() if r is not None}

    async def rates_for(self, workspace_ids: set[str]) -> dict[str, RateCard]:
        """The rate card of each workspace that exists (its plan and overrides only)."""
        ratings = await workspace_ratings(self.db, workspace_ids)
        rates = await self._plan_rates({plan for plan, _ in ratings.values()}, time.monotonic())
        return {ws: self._card(plan, rates.get(plan, {}), overrides)
                for ws, (plan, overrides) in ratings.items()}

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
        for phone in phones:                 # only the request's numbers, not a walk of the cache
            hit = self._routes.get(phone)
            if hit is not None and now - hit[0] < ROUTE_CACHE_SECONDS:
                self._routes.move_to_end(phone)
                fresh[phone] = hit[1]
        return fresh, phones - fresh.keys()

    async def _read_routes(self, _key: None, asks: list[frozenset[str]]) -> list[dict[str, Route | None]]:
        """One flush: the routes of every phone the queued requests miss, read together."""
        now, generation = time.monotonic(), self._generation
        found, missing = self._cached(set().union(*asks), now)  # a flush just before may have read some
        if missing:
            owners = await phone_owners(self.db, missing)
            rates = await self.rates_for(set(owners.values()))
            for phone in missing:
                ws = owners.get(phone)
                found[phone] = Route(ws, rates[ws]) if ws in rates else None
            if generation == self._generation:
                for phone in missing:
                    self._remember(phone, now, found[phone])
        return [{phone: found[phone] for phone in ask} for ask in asks]

    def _remember(self, phone: str, now: float, route: Route | None) -> None:
        self._routes[phone] = (now, route)
        self._routes.move_to_end(phone)
        while len(self._routes) > self.max_routes:
            self._routes.popitem(last=False)

    async def _plan_rates(self, plan_ids: set[str], now: float) -> dict[str, Mapping[str, Money]]:
        """The rates of those of these plans that exist, read again once stale (one find)."""
        generation = self._generation
        stale = {p for p in plan_ids
                 if (hit := self._plans.get(p)) is None or now - hit[0] >= ROUTE_CACHE_SECONDS}
        cached = {p: self._plans[p][1] for p in plan_ids - stale}   # before a forget() can clear it
        read = await plan_rates(self.db, stale) if stale else {}
        if stale and generation == self._generation:
            self._plans.update({p: (now, read.get(p)) for p in stale})
        return {p: r for p, r in {**cached, **read}.items() if r is not None}
