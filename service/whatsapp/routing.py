"""Which workspace a phone number belongs to, and its prices: asked of the workspaces feature
(phone numbers, rate overrides) and of the plans (their rates), in the main database (not the
WhatsApp log), and kept a few seconds."""
from __future__ import annotations

import time
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from billing.rates import RateCard
from service.subscriptions.plans import plan_rates
from service.workspaces.lookup import phone_owners, workspaces_by_ids

ROUTE_CACHE_SECONDS = 5.0  # phone → workspace; PATCH on this instance clears it at once


@dataclass(frozen=True)
class Route:
    """Which workspace a phone number belongs to, and its prices."""
    workspace_id: str
    rates: RateCard


class Routing:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._routes: dict[str, tuple[float, Route | None]] = {}

    def forget(self) -> None:
        """A phone number, a workspace's plan or rates, or a plan's prices changed."""
        self._routes.clear()

    async def routes(self, phone_number_ids: set[str]) -> dict[str, Route]:
        now = time.monotonic()
        cached = {p: self._routes.get(p) for p in phone_number_ids}  # not a walk of the whole cache
        fresh = {p: hit[1] for p, hit in cached.items() if hit and now - hit[0] < ROUTE_CACHE_SECONDS}
        missing = phone_number_ids - fresh.keys()
        if missing:
            owners = await phone_owners(self.db, missing)
            rates = await self.rates_for(set(owners.values()))
            for phone in missing:
                ws = owners.get(phone)
                route = Route(ws, rates[ws]) if ws in rates else None
                self._routes[phone] = (now, route)
                fresh[phone] = route
        return {p: r for p, r in fresh.items() if r is not None}

    async def rates_for(self, workspace_ids: set[str]) -> dict[str, RateCard]:
        """The rate card of each workspace that exists."""
        workspaces = await workspaces_by_ids(self.db, workspace_ids)
        rates = await plan_rates(self.db, {ws.plan for ws in workspaces})
        return {ws.id: RateCard(rates.get(ws.plan, {}), ws.rate_overrides) for ws in workspaces}
