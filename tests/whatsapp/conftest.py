"""Fixtures shared by the WhatsApp tests."""
import pytest

from service.runtime.context import SERVICES
from tests.helpers import Api


@pytest.fixture
async def app_api(aiohttp_client, make_app, clock):
    """An app of our own, so a test can run the sweep on its services."""
    app = make_app()
    api = Api(await aiohttp_client(app), clock)
    api.svc = app[SERVICES]
    return api
