"""`python -m jobs` (the scheduler) delivers webhooks too, next to the billing run."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import timedelta

from jobs.run import run_forever
from tests.helpers import PHONE_A, topup
from tests.outbound.receiver import register


async def test_the_jobs_scheduler_runs_the_delivery_pass(hooks, receiver, settings):
    ws, key = await hooks.create_workspace([PHONE_A])
    await register(hooks, key, receiver.url, event_types=["invoice.created"])
    await topup(hooks, ws, key)
    jobs = replace(settings, webhooks_allow_private=True,
                   webhook_interval=timedelta(milliseconds=50))
    stop = asyncio.Event()
    running = asyncio.create_task(run_forever(jobs, stop))
    try:
        await asyncio.wait_for(receiver.arrived.wait(), timeout=60)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, timeout=30)
    assert receiver.types() == ["invoice.created"]
