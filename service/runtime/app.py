"""The app factory: settings in, aiohttp application out. No globals: the services (the Mongo
client, the embedded servers: service.runtime.bootstrap) and the background sweepers live in cleanup
contexts. The billing jobs compose their own, smaller set (jobs/run.py)."""
from __future__ import annotations

import logging
from typing import AsyncIterator

from aiohttp import web

from handlers.bodies import API_MAX_BODY
from handlers.http import access_log_middleware, errors_middleware
from handlers.panel import setup_panel
from handlers.portal import setup_portal
from handlers.routes import setup_routes
from service.payments.gateway_http import Backoff
from service.outbound.worker import webhook_worker
from service.payments.sweeper import payment_sweeper
from service.portal import sessions as portal_sessions
from service.portal.demo import demo_context
from service.runtime.background import sweeper
from service.runtime.bootstrap import open_services
from service.runtime.clock import Clock, SystemClock
from service.runtime.context import SERVICES
from service.runtime.settings import Settings
from service.whatsapp import webhooks

log = logging.getLogger("saldo.app")


def create_app(settings: Settings, *, clock: Clock | None = None,
               background: bool = True, backoff: Backoff | None = None) -> web.Application:
    # Handlers read bodies through handlers.bodies (their own limits); this is aiohttp's own
    # limit for anything else, e.g. a form.
    app = web.Application(client_max_size=API_MAX_BODY,
                          middlewares=[access_log_middleware, errors_middleware])
    setup_routes(app)
    setup_portal(app, settings)
    setup_panel(app)
    app.cleanup_ctx.append(_store(settings, clock or SystemClock(), backoff))
    app.cleanup_ctx.append(sweeper("whatsapp", webhooks.sweep,
                                   lambda svc: svc.settings.sweep_interval, background=background))
    app.cleanup_ctx.append(payment_sweeper(background))
    app.cleanup_ctx.append(sweeper("portal", portal_sessions.sweep,
                                   lambda svc: svc.settings.portal_session_ttl, background=background))
    app.cleanup_ctx.append(webhook_worker(background))
    if settings.demo:
        app.cleanup_ctx.append(demo_context(settings))
    return app


def _store(settings: Settings, clock: Clock, backoff: Backoff | None = None):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_services(settings, clock, backoff=backoff) as svc:
            app[SERVICES] = svc
            yield
    return ctx
