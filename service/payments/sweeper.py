"""The payments sweeper in the web process: at start-up it finishes what a crash left behind,
then (with `background`) it expires due invoices and re-drives half-done payments every
SALDO_PAYMENT_SWEEP_INTERVAL, asking the gateways about payments whose callback may be lost
(service/payments/polling.py). Tests call `service.payments.settlement.sweep`/`expire_due` and
`polling.sweep` directly."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from service.payments import payments
from service.payments import polling
from service.runtime.background import sweeper
from service.runtime.context import SERVICES
from service.topups import topups


def payment_sweeper(background: bool):
    """Validate the payment configuration (fail fast), then the payments sweeper."""
    sweep = sweeper("payments", polling.sweep,
                    lambda svc: svc.settings.payment_sweep_interval, background=background)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        svc = app[SERVICES]
        payments.check_configuration(svc.settings)
        topups.limits(svc.settings)
        async for _ in sweep(app):
            yield
    return ctx
