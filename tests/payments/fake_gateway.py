"""What the two fake gateways (fake_xendit.py, fake_midtrans.py) share: the knobs a test turns
(answer the next calls of a route with a 5xx or a 429, or never answer them) and the log of the
calls Saldo made."""
from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Call:
    method: str
    path: str
    body: dict | None
    headers: dict


@dataclass
class Knobs:
    failures: dict[str, list[int]] = field(default_factory=dict)   # route → statuses to answer
    hanging: set[str] = field(default_factory=set)                 # routes that never answer
    lost: dict[str, int] = field(default_factory=dict)   # route → answers to lose (work done)
    calls: list[Call] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def fail(self, route: str, *statuses: int) -> None:
        """The next calls of `route` ("POST /v2/invoices") are answered with these statuses."""
        self.failures.setdefault(route, []).extend(statuses)

    def hang(self, route: str) -> None:
        self.hanging.add(route)

    def lose(self, route: str, answers: int = 1) -> None:
        """The next `answers` calls of `route` are carried out, but their answers never leave
        (the caller times out): a create whose answer was lost."""
        self.lost[route] = self.lost.get(route, 0) + answers

    def heal(self) -> None:
        self.failures.clear()
        self.hanging.clear()
        self.lost.clear()

    def of(self, route: str) -> list[Call]:
        method, prefix = route.split(" ", 1)
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]


def basic_key(request: web.Request) -> str | None:
    """The key of `Authorization: Basic base64(key:)` (both gateways authenticate so)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, _ = base64.b64decode(header[6:]).decode().partition(":")
    return user


def knobs_middleware(knobs: Knobs, route_of):
    """Log every call; answer a knob's failure or hang before the handler runs."""
    @web.middleware
    async def middleware(request: web.Request, handler):
        body = await request.json() if request.can_read_body else None
        knobs.calls.append(Call(request.method, request.path, body, dict(request.headers)))
        route = route_of(request)
        if route in knobs.hanging:
            await knobs.released.wait()        # until the test ends: the client's timeout acts
        queued = knobs.failures.get(route)
        if queued:
            status = queued.pop(0)
            return web.json_response({"error_code": "SERVER_ERROR", "message": "fake outage"},
                                     status=status)
        answer = await handler(request)
        if knobs.lost.get(route):
            knobs.lost[route] -= 1
            await knobs.released.wait()        # done, but the answer never comes
        return answer
    return middleware
