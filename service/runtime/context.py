"""What handlers and jobs get: one object (service/runtime/bootstrap.py), stored under a typed
AppKey."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from service.runtime.clock import Clock
from service.runtime.settings import Settings
from service.wallet.ledger import MongoLedger
from service.whatsapp.log import MongoWhatsAppLog


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: AsyncDatabase
    ledger: MongoLedger
    whatsapp: MongoWhatsAppLog | None   # None in the billing jobs (service/runtime/bootstrap.py)


SERVICES = web.AppKey("services", Services)
