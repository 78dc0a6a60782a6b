"""The payments sweeper in the web process: at start-up it finishes what a crash left behind,
then (with `background`) it expires due invoices and re-drives half-done payments every
SALDO_PAYMENT_SWEEP_INTERVAL. Tests call `service.settlement.sweep`/`expire_due` directly."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from aiohttp import web

from service import payments, settlement, topups
from service.context import SERVICES, Services

log = logging.getLogger("saldo.payments")


def payment_sweeper(background: bool):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        svc = app[SERVICES]
        payments.configured_provider(svc.settings)   # fail fast on a misconfiguration
        topups.limits(svc.settings)
        summary = await settlement.sweep(svc, everything=True)
        log.info("payments start-up recovery", extra={"fields": summary})
        task = asyncio.create_task(_sweep_forever(svc)) if background else None
        yield
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return ctx


async def _sweep_forever(svc: Services) -> None:
    while True:
        await asyncio.sleep(svc.settings.payment_sweep_interval.total_seconds())  # a schedule
        try:
            summary = await settlement.sweep(svc)
            if any(summary.values()):
                log.info("payments sweep", extra={"fields": summary})
        except Exception:
            log.exception("payments sweep failed; will retry")
