"""Portal fixtures: `portal(ws, key)` opens a portal session in a browser of its own (an HTTP
client with its own cookie jar: tests/browser.py's `browsers`), closed after the test."""
from __future__ import annotations

import pytest

from tests.portal.helpers import Portal, open_portal_with


@pytest.fixture
def portal(api, browsers):
    async def open_(ws: str, key: str, **body) -> Portal:
        return await open_portal_with(api, browsers(), ws, key, **body)
    return open_
