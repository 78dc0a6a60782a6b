"""The payments sweeper in the web process: at start-up it finishes what a crash left behind,
then (with `background`) it expires due invoices and re-drives half-done payments every
SALDO_PAYMENT_SWEEP_INTERVAL. Tests call `service.settlement.sweep`/`expire_due` directly."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from service import payments, settlement, topups
from service.background import sweeper
from service.context import SERVICES


def payment_sweeper(background: bool):
    """Validate the payment configuration (fail fast), then the payments sweeper."""
    sweep = sweeper("payments", settlement.sweep,
                    lambda svc: svc.settings.payment_sweep_interval, background=background)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        svc = app[SERVICES]
        payments.check_configuration(svc.settings)
        topups.limits(svc.settings)
        async for _ in sweep(app):
            yield
    return ctx
