"""Opening the portal in tests: a link from the API, opened by a cookie-keeping HTTP client
(the test client itself, or a second, separate "browser")."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import aiohttp

from tests.helpers import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def portal_link(api: Api, ws: str, key: str, **body) -> str:
    """The path of a fresh single-use link (`/portal/open/…`)."""
    resp = await api.client.post(f"/v1/workspaces/{ws}/portal-sessions", json=body,
                                 headers=api.auth(key))
    assert resp.status == 201, await resp.text()
    return urlsplit((await resp.json())["url"]).path


class Portal:
    """A browser's view of the portal: its own cookie jar, the session's CSRF token."""

    def __init__(self, api: Api, session: aiohttp.ClientSession) -> None:
        self.api = api
        self.http = session
        self.csrf = ""

    def url(self, path: str) -> str:
        return str(self.api.client.make_url(path))

    async def get(self, path: str, **kw) -> tuple[int, str]:
        async with self.http.get(self.url(path), **kw) as resp:
            text = await resp.text()
            found = CSRF.search(text)
            if found:
                self.csrf = found.group(1)
            return resp.status, text

    async def post(self, path: str, data: dict | None = None, *, csrf: bool = True,
                   follow: bool = False, **kw) -> tuple[int, str, str | None]:
        """→ (status, body, Location)."""
        form = {**({"csrf_token": self.csrf} if csrf else {}), **(data or {})}
        async with self.http.post(self.url(path), data=form, allow_redirects=follow,
                                  **kw) as resp:
            return resp.status, await resp.text(), resp.headers.get("Location")


async def open_portal_with(api: Api, session: aiohttp.ClientSession, ws: str, key: str,
                           **body) -> Portal:
    """A browser (`session`) with a live portal session on `ws` (the overview loaded once)."""
    portal = Portal(api, session)
    status, _ = await portal.get(await portal_link(api, ws, key, **body))
    assert status == 200
    return portal
