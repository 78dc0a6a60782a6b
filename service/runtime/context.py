"""What handlers and jobs get: one object (service/runtime/bootstrap.py), stored under a typed
AppKey."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from billing.payments import PaymentProvider
from service.metrics.registry import Metrics
from service.runtime.clock import Clock
from service.runtime.settings import Settings
from service.wallet.ledger import MongoLedger
from service.whatsapp.log import MongoWhatsAppLog

if TYPE_CHECKING:   # these import this module (routing through the features it reads)
    from service.mongo.supervisor import StoreSupervisor
    from service.payments.orders import OrderKind
    from service.whatsapp.routing import Routing


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: AsyncDatabase
    ledger: MongoLedger
    whatsapp: MongoWhatsAppLog | None   # None in the billing jobs (service/runtime/bootstrap.py)
    order_kinds: Mapping[str, OrderKind]   # by `invoice.order.kind` (service/payments/orders.py)
    routing: Routing    # phone number → workspace and rate card (service/whatsapp/routing.py)
    providers: Mapping[str, PaymentProvider]   # the enabled payment providers, by name
    stores: StoreSupervisor | None = None   # embedded: restarts dead NX-27017 children
    metrics: Metrics = field(default_factory=Metrics)   # this app's counters (GET /metrics)


SERVICES = web.AppKey("services", Services)
