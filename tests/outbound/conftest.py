"""Fixtures of the outbound webhook tests: a local receiver, the reference library on the test
clock, and the app allowed to call private addresses (SALDO_WEBHOOKS_ALLOW_PRIVATE)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import standardwebhooks.webhooks as reference
from aiohttp import web

from service.runtime.app import create_app
from tests.helpers import Api
from tests.outbound.receiver import Receiver


@pytest.fixture
def library_clock(monkeypatch, clock):
    """The reference library's `datetime.now` is the test clock's time."""
    class TestTime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now().astimezone(tz)
    monkeypatch.setattr(reference, "datetime", TestTime)


@pytest.fixture
async def receiver(aiohttp_server, library_clock) -> Receiver:
    r = Receiver()
    app = web.Application()
    app.router.add_post("/hook", r.handle)
    server = await aiohttp_server(app)
    r.url = str(server.make_url("/hook"))
    yield r
    r.release.set()


def _app(settings, clock, timeout: timedelta):
    allowed = replace(settings, webhooks_allow_private=True, webhook_timeout=timeout)
    return create_app(allowed, clock=clock, background=False)


@pytest.fixture
async def hooks(aiohttp_client, settings, clock) -> Api:
    """The app with SALDO_WEBHOOKS_ALLOW_PRIVATE (to reach the local receiver) and the default
    10-second timeout: a receiver that answers is never taken for one that timed out, however
    loaded the machine (at 0.5 s a busy CI machine once counted a received attempt as failed)."""
    return Api(await aiohttp_client(_app(settings, clock, timedelta(seconds=10))), clock)


@pytest.fixture
async def impatient_hooks(aiohttp_client, settings, clock) -> Api:
    """The same with a 0.5-second timeout, for the receiver that never answers."""
    return Api(await aiohttp_client(_app(settings, clock, timedelta(seconds=0.5))), clock)
