"""A Saldo app wired to a local fake gateway (tests/payments/fake_xendit.py, fake_midtrans.py):
the gateway's base URLs point at the fake, retries pause through a recorder instead of sleeping,
and the whole gateway call has a short deadline."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

from service.payments.gateway_http import Backoff
from service.runtime.app import create_app
from service.runtime.settings import Settings
from tests.helpers import PHONE_A, Api, topup
from tests.payments import fake_midtrans, fake_xendit
from tests.payments.fake_midtrans import FakeMidtrans
from tests.payments.fake_xendit import FakeXendit

PUBLIC_URL = "https://saldo.example"
DEADLINE = timedelta(milliseconds=600)     # a whole gateway call, retries included
# The routes Saldo calls to open a payment, and to ask about one.
CREATE = {"xendit": ("GET /v2/invoices", "POST /v2/invoices"),
          "midtrans": ("POST /snap/v1/transactions",)}
STATUS = {"xendit": "GET /v2/invoices/{id}", "midtrans": "GET /v2/{order_id}/status"}
REFUND = {"xendit": "POST /refunds", "midtrans": "POST /v2/{order_id}/refund"}
CREDITED = {"conversation": (15000, 50000, 0), "broadcast": (0, 0, 0)}
UNTOUCHED = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}


@dataclass
class Pauses:
    """The retry pauses asked for (instead of sleeping them)."""
    asked: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)


def gateway_settings(settings: Settings, urls: dict[str, str], chosen: str) -> Settings:
    """`settings` with the gateways of `urls` configured (their fakes' base URLs), `chosen`
    taking new payments."""
    changes: dict = {"payment_provider": chosen, "public_url": PUBLIC_URL,
                     "gateway_timeout": DEADLINE, "gateway_attempts": 3}
    if "xendit" in urls:
        changes.update(xendit_secret_key=fake_xendit.SECRET_KEY,
                       xendit_callback_token=fake_xendit.CALLBACK_TOKEN,
                       xendit_base_url=urls["xendit"])
    if "midtrans" in urls:
        changes.update(midtrans_server_key=fake_midtrans.SERVER_KEY,
                       midtrans_base_url=urls["midtrans"], midtrans_api_base_url=urls["midtrans"])
    return dataclasses.replace(settings, **changes)


@dataclass
class Rig:
    api: Api
    gw: FakeXendit | FakeMidtrans
    pauses: Pauses
    fakes: dict

    @property
    def name(self) -> str:
        return self.gw.name

    async def order(self, amount: int = 50_000) -> tuple[str, str, dict]:
        ws, key = await self.api.create_workspace([PHONE_A])
        return ws, key, await topup(self.api, ws, key, "conversation", amount)

    async def notify(self, payment_id: str, gw=None, **changes):
        """The gateway sends its notification about this payment (as it is at the gateway)."""
        gw = gw or self.gw
        raw, headers = gw.notification(payment_id, **changes)
        return await self.api.client.post(f"/webhooks/payments/{gw.name}", data=raw,
                                          headers=headers)

    async def post_raw(self, raw: bytes, headers: dict, name: str | None = None):
        return await self.api.client.post(f"/webhooks/payments/{name or self.name}", data=raw,
                                          headers=headers)


async def start_fakes(aiohttp_server, names) -> dict:
    fakes = {}
    for name in names:
        fake = FakeXendit() if name == "xendit" else FakeMidtrans()
        server = await aiohttp_server(fake.app())
        fake.base = str(server.make_url("")).rstrip("/")
        fakes[name] = fake
    return fakes


async def make_rig(aiohttp_client, aiohttp_server, settings, clock, chosen: str,
                   names: tuple[str, ...] | None = None) -> Rig:
    fakes = await start_fakes(aiohttp_server, names or (chosen,))
    pauses = Pauses()
    configured = gateway_settings(settings, {n: f.base for n, f in fakes.items()}, chosen)
    app = create_app(configured, clock=clock, background=False,
                     backoff=Backoff(sleep=pauses.sleep, random=lambda: 0.5))
    rig = Rig(Api(await aiohttp_client(app), clock), fakes[chosen], pauses, fakes)
    return rig
