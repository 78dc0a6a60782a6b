"""Delivery: take a due delivery with a lease, call its endpoint, record the attempt.

At least once: a delivery is claimed by one atomic `find_one_and_update` that pushes its due
time to the end of a lease (SALDO_WEBHOOK_LEASE) and names the claimant, so no other worker
(the web process's loop, `python -m jobs`, another web process) can take the same attempt while
it runs; a worker killed mid-attempt leaves the lease to expire, and the delivery is sent again.
The outcome is written only while the claim is still the worker's.

2xx is delivered. Anything else (an error status, a refused or timed-out connection, a refused
address) is retried with exponential backoff and jitter (`retry_delay`) until RETRY_FOR after
the delivery was queued, then the delivery fails. An endpoint whose deliveries have failed for
RETRY_FOR without one success in between is disabled, and a `webhook_endpoint.disabled` event
says so (service/outbound/dispatch.py: to the admin's endpoints, and for a workspace's
endpoint to the workspace's other endpoints and its reseller's).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from yarl import URL

from service.events.emit import emit
from service.outbound.addresses import check_literal
from service.outbound.dispatch import find_event
from service.outbound.records import Attempt, Delivery, Endpoint
from service.outbound.repository import Attempts, Deliveries, Endpoints
from service.outbound.signing import body_of, headers_for
from service.runtime.context import Services
from service.runtime.ids import new_seed

RETRY_FOR = timedelta(days=3)
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
JITTER = 0.25          # ± a quarter of the delay
ERROR_TEXT = 300


def retry_delay(attempt: int, rng: random.Random) -> timedelta:
    """After failed attempt `attempt` (1, 2, …): 30 s, 1 min, 2 min, … doubling up to 6 h,
    each ± 25 % at random, so that retries of many deliveries do not arrive together."""
    base = min(FIRST_DELAY * 2 ** min(attempt - 1, 20), MAX_DELAY)
    return base * (1 + JITTER * (2 * rng.random() - 1))


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: int


async def send(session: aiohttp.ClientSession, endpoint: Endpoint, event: dict, now: datetime,
               allow_private: bool) -> Outcome:
    """One signed POST; never raises for what the endpoint or the network does."""
    started = time.perf_counter()
    body = body_of(event)
    headers = headers_for(event["_id"], now, body, endpoint.signing_secrets(now))
    try:
        check_literal(URL(endpoint.url).host or "", allow_private)
        async with session.post(endpoint.url, data=body, headers=headers,
                                allow_redirects=False) as resp:
            await resp.content.read(1024)          # what a receiver says is not kept
            code = resp.status
        ok, error = 200 <= code < 300, None if 200 <= code < 300 else f"HTTP {code}"
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        code, ok = None, False
        error = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return Outcome(ok, code, error and error[:ERROR_TEXT],
                   int((time.perf_counter() - started) * 1000))


async def attempt(svc: Services, session: aiohttp.ClientSession, claimed: Delivery,
                  endpoint: Endpoint | None, now: datetime, rng: random.Random) -> str:
    """Send a claimed delivery and record it. → delivered | retry | failed | dropped."""
    deliveries = Deliveries(svc.db)
    event = await find_event(svc.db, claimed.event_id)
    if endpoint is None or endpoint.status != "enabled" or event is None:
        reason = "endpoint deleted" if endpoint is None else (
            "endpoint disabled" if event is not None else "event not found")
        await deliveries.finish(claimed, {"status": "failed", "last_error": reason}, None)
        return "dropped"
    event.setdefault("reseller_id", claimed.reseller_id)
    outcome = await send(session, endpoint, event, now, svc.settings.webhooks_allow_private)
    next_at = None if outcome.delivered else now + retry_delay(claimed.attempts, rng)
    deadline = claimed.created_at + RETRY_FOR          # the last attempt, then it fails
    if next_at is not None and next_at > deadline:
        next_at = deadline if now < deadline else None
    await Attempts(svc.db).insert(Attempt(
        id=f"att_{new_seed(now)}", endpoint_id=endpoint.id, delivery_id=claimed.id,
        event_id=claimed.event_id, event_type=event["type"], attempt=claimed.attempts, at=now,
        outcome="delivered" if outcome.delivered else "failed",
        status_code=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms,
        next_attempt_at=next_at))
    status = "delivered" if outcome.delivered else ("pending" if next_at else "failed")
    await deliveries.finish(claimed, {"status": status, "last_status": outcome.status_code,
                                      "last_error": outcome.error}, next_at)
    await _endpoint_health(svc, endpoint, claimed, outcome.delivered, now)
    return {"delivered": "delivered", "pending": "retry"}.get(status, "failed")


async def _endpoint_health(svc: Services, endpoint: Endpoint, claimed: Delivery,
                           delivered: bool, now: datetime) -> None:
    """A success ends the endpoint's failing spell; a failure starts one (failing since the
    failed delivery was queued) or, 3 days on, disables the endpoint."""
    endpoints = Endpoints(svc.db)
    if delivered:
        if endpoint.failing_since is not None:
            await endpoints.mark_healthy(endpoint.id)
        return
    if endpoint.failing_since is None:
        await endpoints.mark_failing(endpoint.id, claimed.created_at)
    elif now - endpoint.failing_since >= RETRY_FOR:
        await disable(svc, endpoint, now)


async def disable(svc: Services, endpoint: Endpoint, now: datetime) -> None:
    """The event first (idempotent per failing spell), then the switch: a crash in between
    emits nothing twice and the next failure disables it."""
    since = int(endpoint.failing_since.timestamp() * 1000)
    await emit(svc.db, "webhook_endpoint.disabled", endpoint.id, endpoint.workspace_id,
               {"id": endpoint.id, "url": endpoint.url, "owner": endpoint.role,
                "failing_since": endpoint.failing_since, "disabled_at": now,
                "reason": "deliveries failed for 3 days"}, now, key=str(since))
    await Endpoints(svc.db).disable(endpoint.id, now)
