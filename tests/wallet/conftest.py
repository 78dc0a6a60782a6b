"""Fixtures shared by the wallet tests."""
import dataclasses

import pytest

from service.runtime.app import create_app
from service.runtime.context import SERVICES
from tests.whatsapp.test_webhook_store_commands import Commands


@pytest.fixture
async def counted(aiohttp_client, settings, clock):
    """The services of an app whose store client reports every command to `commands`."""
    commands = Commands()
    app = create_app(dataclasses.replace(settings, event_listeners=(commands,)), clock=clock,
                     background=False)
    await aiohttp_client(app)
    return app[SERVICES], commands
