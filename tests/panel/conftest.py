"""Panel fixtures: `panel(key)` signs in with an admin token or a reseller key in a browser of
its own (tests/browser.py's `browsers`)."""
from __future__ import annotations

import pytest

from tests.panel.helpers import Panel


@pytest.fixture
def panel(api, browsers):
    async def sign_in(key: str) -> Panel:
        browser = Panel(api, browsers())
        status, text = await browser.sign_in(key)
        assert status == 200, text
        return browser
    return sign_in
