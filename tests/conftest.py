"""One real wire-protocol server (NX-27017, or MONGODB_URI) per session; a fresh database and a
fresh app per test, driven over HTTP with aiohttp's test client."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import AsyncMongoClient

from service.mongo.embedded import EmbeddedServer
from service.runtime.app import create_app
from service.runtime.clock import FrozenClock
from service.runtime.settings import Settings
from tests.helpers import ADMIN_TOKEN, APP_SECRETS, PAYMENT_SECRET, VERIFY_TOKEN, Api

pytest_plugins = ["tests.browser"]   # Chromium for the real-browser tests

START = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)  # 10:00 in Jakarta


@pytest.fixture(scope="session")
async def mongo_uri(tmp_path_factory):
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    server = EmbeddedServer(tmp_path_factory.mktemp("nx-27017"))
    uri = await server.start()
    yield uri
    server.stop()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def settings(mongo_uri):
    name = f"saldo_test_{uuid.uuid4().hex[:12]}"
    # The WhatsApp log in a database of its own, as the embedded store keeps it on a server of its
    # own: a query that looked for it in the main database would find nothing.
    yield Settings(mongodb_uri=mongo_uri, mongodb_db=name, whatsapp_log_db=f"{name}_wa",
                   admin_token=ADMIN_TOKEN,
                   whatsapp_verify_token=VERIFY_TOKEN, whatsapp_app_secrets=APP_SECRETS,
                   payment_webhook_secret=PAYMENT_SECRET, payment_provider="sandbox",
                   sweep_interval=timedelta(hours=1),
                   category_grace=timedelta(minutes=10))
    client = AsyncMongoClient(mongo_uri)
    try:
        await client.drop_database(name)
        await client.drop_database(f"{name}_wa")
    finally:
        await client.close()


@pytest.fixture
def make_app(settings, clock):
    def factory(**overrides):
        return create_app(settings, clock=clock, background=False, **overrides)
    return factory


@pytest.fixture
async def api(aiohttp_client, make_app, clock) -> Api:
    return Api(await aiohttp_client(make_app()), clock)
