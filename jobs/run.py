"""The billing run outside the HTTP server: the same app factory (so the same Services, order
kinds and stores as the handlers), started without a listener.

With the embedded store, `create_app` connects to the NX-27017 server a running `make run`
recorded in `<SALDO_DATA_DIR>/nx-27017.json`, or starts one and stops it when done: never two
servers on one data directory.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import AsyncIterator

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service.app import create_app
from service.billing_run import run_pass, worker_id
from service.clock import Clock, FrozenClock, SystemClock
from service.context import SERVICES, Services
from service.settings import Settings

log = logging.getLogger("saldo.jobs")


@contextlib.asynccontextmanager
async def running_services(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    runner = web.AppRunner(create_app(settings, clock=clock, background=False))
    await runner.setup()
    try:
        yield runner.app[SERVICES]
    finally:
        await runner.cleanup()


async def run_due(settings: Settings, now: datetime | None = None) -> dict:
    """One pass at `now` (the time machine: the whole app runs on a clock frozen there)."""
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
        scheduler.start()
        log.info("billing scheduler started", extra={"fields": {
            "tick_seconds": settings.billing_tick.total_seconds()}})
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
