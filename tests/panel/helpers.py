"""Signing in to the agency panel in tests: a browser of its own (cookie jar), the session's
CSRF token picked up from each page."""
from __future__ import annotations

from tests.portal.helpers import Portal


class Panel(Portal):
    async def sign_in(self, key: str) -> tuple[int, str]:
        async with self.http.post(self.url("/panel/signin"), data={"api_key": key}) as resp:
            text = await resp.text()
            status = resp.status
        await self.get("/panel")        # picks up the CSRF token
        return status, text
