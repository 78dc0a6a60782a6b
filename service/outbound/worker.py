"""The delivery pass, and where it runs: a loop in the web process (every
SALDO_WEBHOOK_INTERVAL, not under tests' `background=False`) and a job of `python -m jobs`.
Both may run at once, in any number of processes: fan-out is idempotent and each attempt is
claimed with a lease (service/outbound/delivery.py). Tests call `deliver_pass` with their
clock's time."""
from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import Counter
from datetime import datetime

import aiohttp

from service.outbound.addresses import GuardedResolver
from service.outbound.delivery import attempt
from service.outbound.dispatch import BATCH, dispatch
from service.outbound.records import Delivery, Endpoint
from service.outbound.repository import Deliveries, Endpoints
from service.runtime.background import sweeper
from service.runtime.context import Services

log = logging.getLogger("saldo.webhooks")
CONCURRENCY = 8          # attempts in flight per pass
MAX_ATTEMPTS = 500       # per pass; the rest waits for the next one
MAX_BATCHES = 25         # of events fanned out per pass


def session_for(svc: Services) -> aiohttp.ClientSession:
    """No proxy from the environment, no redirects followed (a 3xx is a failure), only the
    addresses GuardedResolver allows."""
    settings = svc.settings
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(settings.webhooks_allow_private),
                                     limit=CONCURRENCY, use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=settings.webhook_timeout.total_seconds())
    return aiohttp.ClientSession(connector=connector, trust_env=False, timeout=timeout)


# an attempt's outcome (delivery.py) → its /metrics outcome (service/metrics/registry.py)
_METRIC = {"delivered": "delivered", "retry": "failed", "failed": "gave_up", "dropped": "other"}


async def deliver_pass(svc: Services, now: datetime, *, rng: random.Random | None = None,
                       limit: int = MAX_ATTEMPTS) -> dict:
    """Fan out new events, then send what is due at `now`. → counts by outcome."""
    rng = rng or random.Random()
    counts: Counter = Counter()
    for _ in range(MAX_BATCHES):
        read, queued = await dispatch(svc, now)
        if queued:
            counts["queued"] += queued
        if read < BATCH:
            break
    token = secrets.token_hex(8)
    endpoints: dict[str, Endpoint | None] = {}
    async with session_for(svc) as session:
        while counts.total() - counts["queued"] < limit:
            claimed = await _claim(svc, now, token)
            if not claimed:
                break
            for c in claimed:
                if c.endpoint_id not in endpoints:
                    found = await Endpoints(svc.db).get(c.endpoint_id)
                    endpoints[c.endpoint_id] = found[0] if found else None
            outcomes = await asyncio.gather(*(attempt(svc, session, c, endpoints[c.endpoint_id],
                                                      now, rng) for c in claimed))
            counts.update(outcomes)
            for outcome in outcomes:    # /metrics: saldo_outbound_deliveries_total{outcome}
                svc.metrics.outbound_delivery(_METRIC.get(outcome, "other"))
            if len(claimed) < CONCURRENCY:       # a claim missed: nothing else is due
                break
    return dict(counts)


async def _claim(svc: Services, now: datetime, token: str) -> list[Delivery]:
    """Up to CONCURRENCY due deliveries, one atomic claim each, stopping at the first miss."""
    lease_ms = int(svc.settings.webhook_lease.total_seconds() * 1000)
    claimed: list[Delivery] = []
    while len(claimed) < CONCURRENCY:
        one = await Deliveries(svc.db).claim(now, lease_ms, token)
        if one is None:
            break
        claimed.append(one)
    return claimed


def webhook_worker(background: bool):
    """A cleanup context: with `background`, a delivery pass every SALDO_WEBHOOK_INTERVAL (the
    web process's sweeper loop; nothing at start-up: the first pass comes one interval in)."""
    return sweeper("webhook delivery", _pass, lambda svc: svc.settings.webhook_interval,
                   background=background, at_start=False)


async def _pass(svc: Services, everything: bool = False) -> dict:
    return await deliver_pass(svc, svc.clock.now())


async def tick(svc: Services) -> None:
    try:
        summary = await deliver_pass(svc, svc.clock.now())
        if summary:
            log.info("webhook delivery pass", extra={"fields": summary})
    except Exception:
        log.exception("webhook delivery pass failed; the next one retries")
