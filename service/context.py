"""What handlers and jobs get: one object (service/bootstrap.py), stored under a typed AppKey."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from service.clock import Clock
from service.ledger import MongoLedger
from service.settings import Settings
from service.whatsapp_log import MongoWhatsAppLog


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: AsyncDatabase
    ledger: MongoLedger
    whatsapp: MongoWhatsAppLog | None   # None in the billing jobs (service/bootstrap.py)


SERVICES = web.AppKey("services", Services)
