"""Real-browser tests: Playwright driving Chromium from the system package (`apt-get install
chromium`; never a downloaded browser). Without it the tests are skipped, and the run's summary
says so in one line; under CI (`CI` set) a missing Chromium fails them instead, so CI can never
pass without running them (.ci/run installs it)."""
from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest

CHROMIUM = os.environ.get("SALDO_CHROMIUM", "/usr/bin/chromium")
SKIPPED = f"browser tests skipped: Chromium not found at {CHROMIUM} (apt-get install chromium)"
# As the machine's own probe starts it: no sandbox as root, and no background traffic to
# Google's hosts (refused here, and slow to fail).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
async def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(SKIPPED.replace("skipped", "cannot run under CI"))
        pytest.skip(SKIPPED)
    from playwright.async_api import async_playwright
    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    await browser.close()
    await playwright.stop()


@pytest.fixture
async def page(chromium):
    """A fresh browser profile (no cookies) at a phone's width."""
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    await context.close()


@pytest.fixture
async def browsers():
    """`browsers()` → a new cookie-keeping HTTP client (a "browser" for page tests without
    JavaScript), closed after the test."""
    opened: list[aiohttp.ClientSession] = []

    def new() -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        opened.append(session)
        return session
    yield new
    for session in opened:
        await session.close()


async def no_horizontal_scroll(tab) -> bool:
    return await tab.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def pytest_terminal_summary(terminalreporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if any(SKIPPED in str(getattr(report, "longrepr", "")) for report in skipped):
        terminalreporter.write_line(SKIPPED, yellow=True, bold=True)
