"""The composition root: settings and a clock in, `Services` out (the store opened, its indexes
created, the plans seeded, the order kinds listed, the payment providers built:
service/payments/providers.py). Two programs are composed from it:

- the web app (`service.runtime.app.create_app`): the whole store, including the WhatsApp log,
  plus the HTTP routes and the recovery sweeps, which run on the real clock;
- the billing jobs (`jobs.run`): the store without the WhatsApp log, and the billing pass only.
  `python -m jobs run-due --now` runs on a pretended clock, so it must not touch anything that
  waits for real events (a message's pricing category, a payment's re-drive, an
  Idempotency-Key's life): `Services.whatsapp` is None there, and no sweep runs.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from typing import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

from service.addons.orders import AddonOrders
from service.metrics.registry import Metrics
from service.mongo.embedded import EmbeddedServer
from service.mongo.store import connect, ensure_indexes
from service.mongo.supervisor import StoreSupervisor
from service.payments.orders import OrderKind
from service.payments.gateway_http import Backoff
from service.payments.providers import open_providers
from service.runtime.clock import Clock
from service.runtime.context import Services
from service.runtime.settings import Settings
from service.subscriptions.orders import SubscriptionOrders
from service.subscriptions.plans import missing_plans, seed_plans
from service.topups.topups import TopupOrders
from service.wallet.ledger import MongoLedger
from service.whatsapp.log import MongoWhatsAppLog
from service.whatsapp.routing import Routing


@contextlib.asynccontextmanager
async def open_services(settings: Settings, clock: Clock, *, whatsapp_log: bool = True,
                        backoff: Backoff | None = None) -> AsyncIterator[Services]:
    """The services on an open store, closed on exit; without `whatsapp_log`, the WhatsApp log
    (its database, embedded: its server) is not opened and `Services.whatsapp` is None.
    `backoff`: how gateway retries wait (tests inject one that does not sleep)."""
    async with contextlib.AsyncExitStack() as stack:
        providers = await stack.enter_async_context(open_providers(settings, backoff))
        db, log_db, supervisor = await _open_databases(settings, stack, whatsapp_log)
        await ensure_indexes(db, whatsapp_log=False)
        if log_db is not None:
            await ensure_indexes(log_db, whatsapp_log=True)
        routing = Routing(db, monotonic=getattr(clock, "monotonic", time.monotonic))
        if await missing_plans(db):     # a plan's rates are part of its workspaces' routes
            async with routing.changing():
                await seed_plans(db)
        await routing.check()           # the routes' revision, before the first webhook
        log = MongoWhatsAppLog(log_db) if log_db is not None else None
        metrics = Metrics()      # one registry per app: no global one
        yield Services(settings, clock, db, MongoLedger(db, metrics), log, order_kinds(),
                       routing, providers, supervisor, metrics)
        await routing.close()
        if log is not None:
            await log.marks.close()


def order_kinds() -> dict[str, OrderKind]:
    """What settles an invoice, by its `order.kind` (service/payments/orders.py)."""
    return {"topup": TopupOrders(), "addon": AddonOrders(),
            "subscription": SubscriptionOrders(), "renewal": SubscriptionOrders(),
            "plan_change": SubscriptionOrders()}


async def _open_databases(settings: Settings, stack: contextlib.AsyncExitStack,
                          whatsapp_log: bool
                          ) -> tuple[AsyncDatabase, AsyncDatabase | None, StoreSupervisor | None]:
    """The database, and the WhatsApp log's (service.mongo.store.WHATSAPP_LOG) if asked for;
    embedded, the supervisor that restarts their servers (service/mongo/supervisor.py).

    With MONGODB_URI: one client; the log lives in MONGODB_WHATSAPP_LOG_DB, by default the same
    database. Embedded: two NX-27017 servers, the log's under SALDO_DATA_DIR/whatsapp-log. An
    NX-27017 process runs every command of a database under one lock and one interpreter lock,
    so the webhook log (two documents per charged message) and the ledger would queue behind
    each other on one core; in two processes they use two (bench/webhooks.py, README)."""
    if settings.mongodb_uri:
        client = connect(settings.mongodb_uri, settings.event_listeners, settings.store_timeout)
        stack.push_async_callback(client.close)
        log_db = client[settings.whatsapp_log_db or settings.mongodb_db] if whatsapp_log else None
        return client[settings.mongodb_db], log_db, None
    servers = [EmbeddedServer(settings.data_dir)]
    if whatsapp_log:
        servers.append(EmbeddedServer(settings.data_dir / "whatsapp-log"))
    for server in servers:
        stack.callback(server.stop)
    started = await asyncio.gather(*(s.start() for s in servers), return_exceptions=True)
    for outcome in started:
        if isinstance(outcome, BaseException):
            raise outcome
    clients = [connect(uri, settings.event_listeners, settings.store_timeout) for uri in started]
    for client in clients:
        stack.push_async_callback(client.close)
    dbs = [client[settings.mongodb_db] for client in clients]
    supervisor = StoreSupervisor(dict(zip(("main", "whatsapp_log"), servers)))
    supervisor.start()
    stack.push_async_callback(supervisor.stop)     # before the servers stop: no restart then
    return dbs[0], dbs[1] if whatsapp_log else None, supervisor
