"""The app factory: settings in, aiohttp application out. No globals: the services (the Mongo
client, the embedded servers: service.runtime.bootstrap) and the background sweepers live in cleanup
contexts. The billing jobs compose their own, smaller set (jobs/run.py)."""
from __future__ import annotations

import logging
from typing import AsyncIterator

from aiohttp import web

import handlers.addons  # noqa: F401  (registers its routes)
import handlers.health  # noqa: F401  (registers its routes)
import handlers.invoices
import handlers.payments  # noqa: F401  (registers its routes)
import handlers.plans  # noqa: F401  (registers its routes)
import handlers.resellers  # noqa: F401  (registers its routes)
import handlers.sandbox  # noqa: F401  (registers its routes)
import handlers.subscription_addons  # noqa: F401  (registers its routes)
import handlers.subscriptions  # noqa: F401  (registers its routes)
import handlers.topups  # noqa: F401  (registers its routes)
import handlers.wallet  # noqa: F401  (registers its routes)
import handlers.webhooks  # noqa: F401  (registers its routes)
import handlers.workspaces  # noqa: F401  (registers its routes)
from handlers.http import ROUTES, access_log_middleware, errors_middleware
from service.payments.sweeper import payment_sweeper
from service.runtime.background import sweeper
from service.runtime.bootstrap import open_services
from service.runtime.clock import Clock, SystemClock
from service.runtime.context import SERVICES
from service.runtime.settings import Settings
from service.whatsapp import webhooks

log = logging.getLogger("saldo.app")
MAX_BODY = 4 * 1024 * 1024


def create_app(settings: Settings, *, clock: Clock | None = None,
               background: bool = True) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY,
                          middlewares=[access_log_middleware, errors_middleware])
    for r in ROUTES:
        app.router.add_route(r.method, r.path, r.handler)
    app.router.add_route("GET", handlers.invoices.SLASHED_CODE_PATH, handlers.invoices.read)
    app.cleanup_ctx.append(_store(settings, clock or SystemClock()))
    app.cleanup_ctx.append(sweeper("whatsapp", webhooks.sweep,
                                   lambda svc: svc.settings.sweep_interval, background=background))
    app.cleanup_ctx.append(payment_sweeper(background))
    return app


def _store(settings: Settings, clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_services(settings, clock) as svc:
            app[SERVICES] = svc
            yield
    return ctx
