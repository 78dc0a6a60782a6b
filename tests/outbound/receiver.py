"""A local webhook receiver for the outbound tests: an aiohttp app that records each request
and verifies its signature with the reference library (`standardwebhooks.Webhook.verify`),
whose clock is the test's (the library checks the timestamp against its own "now")."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from service.outbound.worker import deliver_pass
from tests.helpers import Api, app_services


@dataclass
class Received:
    headers: dict
    body: dict
    verified_by: list[str]          # the secrets (of Receiver.secrets) whose signature checks

    @property
    def type(self) -> str:
        return self.body["type"]


@dataclass
class Receiver:
    """`mode`: ok (200), error (500) or hang (never answers: the sender's timeout)."""
    url: str = ""
    mode: str = "ok"
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)     # set on every request

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = dict(request.headers)
        verified = [s for s in self.secrets if _verifies(s, raw, headers)]
        self.received.append(Received(headers, json.loads(raw), verified))
        self.arrived.set()
        if self.mode == "hang":
            await self.release.wait()
        return web.Response(status=500 if self.mode == "error" else 200, text="ok")

    def types(self) -> list[str]:
        return [r.type for r in self.received]

    def event_ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]


def _verifies(secret: str, raw: bytes, headers: dict) -> bool:
    try:
        Webhook(secret).verify(raw, headers)
        return True
    except WebhookVerificationError:
        return False


async def register(api: Api, key: str, url: str, **extra) -> dict:
    resp = await api.client.post("/v1/webhook-endpoints", json={"url": url, **extra},
                                 headers=api.auth(key))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def deliver(api: Api, **kwargs) -> dict:
    """One delivery pass at the test clock's time."""
    import random
    return await deliver_pass(app_services(api), api.clock.now(),
                              rng=kwargs.pop("rng", random.Random(7)), **kwargs)
