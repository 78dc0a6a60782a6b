"""The billing run outside the HTTP server, composed on its own (service/runtime/bootstrap.py): the
settings, a clock, the store without the WhatsApp log, and the billing pass. Nothing else runs:
no recovery sweep, no WhatsApp charging, no payment re-drive, no Idempotency-Key purge. Those
belong to the web process, on the real clock; `run-due --now` pretends a time, and must not
decide with it what waits for real events to arrive. `python -m jobs` (the scheduler, on the
real clock, not `run-due`) also runs the outbound webhook delivery pass (service/outbound/).

With the embedded store, the jobs connect to the NX-27017 server a running `make run` recorded
in `<SALDO_DATA_DIR>/nx-27017.json`, or start one and stop it when done: never two servers on
one data directory.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service.outbound import worker as webhooks
from service.payments.payments import check_configuration
from service.runtime.bootstrap import open_services
from service.runtime.clock import Clock, FrozenClock, SystemClock
from service.runtime.context import Services
from service.runtime.settings import Settings
from service.subscriptions.billing_run import run_pass, worker_id

log = logging.getLogger("saldo.jobs")


@contextlib.asynccontextmanager
async def running_services(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    check_configuration(settings)        # fail fast on an unknown SALDO_PAYMENT_PROVIDER
    async with open_services(settings, clock, whatsapp_log=False) as svc:
        yield svc


async def run_due(settings: Settings, now: datetime | None = None) -> dict:
    """One pass at `now` (the time machine: the billing run's clock is frozen there)."""
    async with running_services(settings, FrozenClock(now) if now else SystemClock()) as svc:
        return await run_pass(svc, now)


async def tick(svc: Services, worker: str) -> None:
    try:
        await run_pass(svc, svc.clock.now(), worker)
    except Exception:
        log.exception("billing pass failed; the next tick retries")


async def run_forever(settings: Settings, stop: asyncio.Event) -> None:
    """APScheduler (3.x) ticks every `SALDO_BILLING_TICK` (one minute) until `stop` is set."""
    async with running_services(settings, SystemClock()) as svc:
        scheduler = AsyncIOScheduler(timezone=settings.tz)
        scheduler.add_job(tick, "interval", args=[svc, worker_id()], id="billing-run",
                          seconds=settings.billing_tick.total_seconds(), max_instances=1,
                          coalesce=True, next_run_time=datetime.now(settings.tz))
        scheduler.add_job(webhooks.tick, "interval", args=[svc], id="webhook-delivery",
                          seconds=settings.webhook_interval.total_seconds(), max_instances=1,
                          coalesce=True)
        scheduler.start()
        log.info("billing scheduler started", extra={"fields": {
            "tick_seconds": settings.billing_tick.total_seconds()}})
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
