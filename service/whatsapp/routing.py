"""Which workspace a phone number belongs to, and its prices: read from `phone_numbers`,
`workspaces` and `plans` (the main database, not the WhatsApp log), kept a few seconds."""
from __future__ import annotations

import time
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from billing.rates import RateCard
from service.mongo.docs import money_from_doc

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
        fresh = {p: r for p, (at, r) in self._routes.items()
                 if p in phone_number_ids and now - at < ROUTE_CACHE_SECONDS}
        missing = phone_number_ids - fresh.keys()
        if missing:
            owners = {d["_id"]: d["workspace_id"] async for d in
                      self.db.phone_numbers.find({"_id": {"$in": list(missing)}})}
            rates = await self.rates_for(set(owners.values()))
            for phone in missing:
                ws = owners.get(phone)
                route = Route(ws, rates[ws]) if ws in rates else None
                self._routes[phone] = (now, route)
                fresh[phone] = route
        return {p: r for p, r in fresh.items() if r is not None}

    async def rates_for(self, workspace_ids: set[str]) -> dict[str, RateCard]:
        """The rate card of each workspace that exists."""
        workspaces = [w async for w in self.db.workspaces.find(
            {"_id": {"$in": list(workspace_ids)}}, {"plan": 1, "rate_overrides": 1})]
        plan_ids = {w["plan"] for w in workspaces}
        plans = {p["_id"]: p async for p in
                 self.db.plans.find({"_id": {"$in": list(plan_ids)}})}
        out = {}
        for ws in workspaces:
            plan_rates = (plans.get(ws["plan"]) or {}).get("rates") or {}
            out[ws["_id"]] = RateCard(
                {c: money_from_doc(m) for c, m in plan_rates.items()},
                {c: money_from_doc(m) for c, m in (ws.get("rate_overrides") or {}).items()})
        return out
