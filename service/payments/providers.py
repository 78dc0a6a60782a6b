"""The payment providers a process can talk to, by the name a payment records. Payments keep
the provider that created them: every provider whose secrets are set is built (not only
SALDO_PAYMENT_PROVIDER's), so callbacks, status polls and refunds of older payments still work
after a switch. The sandbox is built only when chosen (anyone holding its link can pay).

The gateways share one aiohttp ClientSession, opened and closed with the services."""
from __future__ import annotations

import contextlib
from typing import AsyncIterator

import aiohttp

from billing.payments import PaymentProvider
from service.payments.gateway_http import Backoff, GatewayHttp
from service.payments.midtrans import MidtransProvider
from service.payments.payments import check_configuration
from service.payments.sandbox import SandboxProvider
from service.payments.xendit import XenditProvider
from service.runtime.settings import Settings

MIDTRANS_SNAP = {False: "https://app.sandbox.midtrans.com", True: "https://app.midtrans.com"}
MIDTRANS_API = {False: "https://api.sandbox.midtrans.com", True: "https://api.midtrans.com"}


@contextlib.asynccontextmanager
async def open_providers(settings: Settings, backoff: Backoff | None = None
                         ) -> AsyncIterator[dict[str, PaymentProvider]]:
    """→ the enabled providers; fails fast (ValueError) on a missing secret."""
    check_configuration(settings)
    providers: dict[str, PaymentProvider] = {}
    if settings.payment_provider == "sandbox":
        providers["sandbox"] = SandboxProvider(settings.payment_webhook_secret,
                                               settings.public_url)
    if not (settings.xendit_secret_key or settings.midtrans_server_key):
        yield providers
        return
    async with aiohttp.ClientSession() as session:
        def http(name: str) -> GatewayHttp:
            return GatewayHttp(name, session, deadline=settings.gateway_timeout,
                               attempts=settings.gateway_attempts, backoff=backoff or Backoff())
        if settings.xendit_secret_key:
            providers["xendit"] = XenditProvider(
                settings.xendit_secret_key, settings.xendit_callback_token,
                settings.xendit_base_url, settings.public_url, http("xendit"))
        if settings.midtrans_server_key:
            production = settings.midtrans_is_production
            providers["midtrans"] = MidtransProvider(
                settings.midtrans_server_key,
                settings.midtrans_base_url or MIDTRANS_SNAP[production],
                settings.midtrans_api_base_url or MIDTRANS_API[production],
                settings.public_url, http("midtrans"))
        yield providers
