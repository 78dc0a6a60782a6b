"""The app factory: settings in, aiohttp application out. No globals: the Mongo client, the
embedded server and the background sweeper live in cleanup contexts."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

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
from service import webhooks
from service.background import sweeper
from service.clock import Clock, SystemClock
from service.context import SERVICES, Services
from service.embedded import EmbeddedServer
from service.ledger import MongoLedger
from service.payment_jobs import payment_sweeper
from service.plans import seed_plans
from service.settings import Settings
from service.store import connect, ensure_indexes
from service.whatsapp_log import MongoWhatsAppLog

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
        async with contextlib.AsyncExitStack() as stack:
            db, log_db = await _open_databases(settings, stack)
            await ensure_indexes(db, whatsapp_log=False)
            await ensure_indexes(log_db, whatsapp_log=True)
            await seed_plans(db)
            app[SERVICES] = Services(settings, clock, db, MongoLedger(db),
                                     MongoWhatsAppLog(log_db, db))
            yield
            await app[SERVICES].whatsapp.marks.close()
    return ctx


async def _open_databases(settings: Settings,
                          stack: contextlib.AsyncExitStack) -> tuple[AsyncDatabase, AsyncDatabase]:
    """The database, and the WhatsApp log's (service.store.WHATSAPP_LOG).

    With MONGODB_URI: one client; the log lives in MONGODB_WHATSAPP_LOG_DB, by default the same
    database. Embedded: two NX-27017 servers, the log's under SALDO_DATA_DIR/whatsapp-log. An
    NX-27017 process runs every command of a database under one lock and one interpreter lock,
    so the webhook log (two documents per charged message) and the ledger would queue behind
    each other on one core; in two processes they use two (bench/webhooks.py, README)."""
    if settings.mongodb_uri:
        client = connect(settings.mongodb_uri)
        stack.push_async_callback(client.close)
        return client[settings.mongodb_db], client[settings.whatsapp_log_db or settings.mongodb_db]
    servers = [EmbeddedServer(settings.data_dir),
               EmbeddedServer(settings.data_dir / "whatsapp-log")]
    for server in servers:
        stack.callback(server.stop)
    started = await asyncio.gather(*(s.start() for s in servers), return_exceptions=True)
    for outcome in started:
        if isinstance(outcome, BaseException):
            raise outcome
    clients = [connect(uri) for uri in started]
    for client in clients:
        stack.push_async_callback(client.close)
    return clients[0][settings.mongodb_db], clients[1][settings.mongodb_db]
