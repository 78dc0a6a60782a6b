"""The built-in `sandbox` payment provider. It behaves like an external one: its checkout page
(served by Saldo, see handlers/sandbox.py) has Pay and Fail buttons, and pressing one makes the
"provider" send Saldo a callback signed with PAYMENT_WEBHOOK_SECRET:

    POST /webhooks/payments/sandbox
    X-Saldo-Signature: sha256=<hex HMAC-SHA256 of the raw body>
    {"payment_id", "provider_reference", "status": "succeeded"|"failed", "amount", "currency",
     "event_id"}
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Mapping

from billing.payments import (Checkout, PaymentCallback, PaymentRequest, RefundOutcome,
                              RefundRequest, callback_from_dict)
from service.runtime import json_body

if TYPE_CHECKING:
    from service.invoices.records import Payment

SIGNATURE_HEADER = "X-Saldo-Signature"


def sign(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def signature_ok(secret: str, raw: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(secret, raw).encode(), header.strip().lower().encode())


class SandboxProvider:
    name = "sandbox"

    def __init__(self, secret: str, public_url: str = "") -> None:
        self._secret = secret
        self._base = public_url.rstrip("/")

    def __repr__(self) -> str:  # keep the secret out of logs
        return "SandboxProvider()"

    async def create_payment(self, request: PaymentRequest) -> Checkout:
        return Checkout(provider_reference=f"sbx_{request.payment_id}",
                        checkout_url=f"{self._base}/sandbox/checkout/{request.payment_id}")

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        return signature_ok(self._secret, raw, headers.get(SIGNATURE_HEADER))

    def parse(self, raw: bytes) -> PaymentCallback:
        return callback_from_dict(json_body.decode(raw))   # not JSON: 400 invalid_json

    async def confirm(self, callback: PaymentCallback) -> PaymentCallback | None:
        """The sandbox has no status API: its signed callback is its whole word."""
        return callback

    async def status(self, payment_id: str,
                     provider_reference: str | None) -> PaymentCallback | None:
        return None          # nothing to ask: the checkout page's buttons send the callback

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        """Simulated: the money goes back at once."""
        return RefundOutcome("succeeded", f"sbx_rfd_{request.refund_id}")

    def simulate(self, payment: Payment, outcome: str) -> tuple[bytes, dict[str, str]]:
        """What the provider sends when the customer presses Pay (`succeeded`) or Fail
        (`failed`) on its checkout page: a signed callback body and its headers."""
        body = {"payment_id": payment.id, "status": outcome,
                "provider_reference": payment.provider_reference or f"sbx_{payment.id}",
                "amount": payment.amount.amount, "currency": payment.amount.currency,
                "event_id": f"sbx_evt_{payment.id}_{outcome}"}
        raw = json.dumps(body, separators=(",", ":")).encode()
        return raw, {SIGNATURE_HEADER: sign(self._secret, raw),
                     "Content-Type": "application/json"}
