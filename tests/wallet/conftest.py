"""Fixtures shared by the wallet tests."""
import dataclasses

import pytest

from service.runtime.app import create_app
from service.runtime.context import SERVICES
from tests.whatsapp.test_webhook_store_commands import Commands


@pytest.fixture
def listening(aiohttp_client, settings, clock):
    """→ `start(listener)`: the services of an app (no background jobs) whose store client
    reports every command to `listener` (a PyMongo CommandListener)."""
    async def start(listener):
        app = create_app(dataclasses.replace(settings, event_listeners=(listener,)), clock=clock,
                         background=False)
        await aiohttp_client(app)
        return app[SERVICES]
    return start


@pytest.fixture
async def counted(listening):
    """The services of an app whose store client reports every command to `commands`."""
    commands = Commands()
    return await listening(commands), commands
