"""Xendit, through its Invoice API: one hosted page for every method (QRIS, virtual accounts,
e-wallets, cards). Saldo's payment id is the invoice's `external_id`; Xendit's invoice id is the
payment's `provider_reference`.

- create: `POST /v2/invoices` (after `GET /v2/invoices?external_id=`, so asking again after a
  timeout reuses the invoice an earlier attempt made instead of opening a second one);
- callback: `POST /webhooks/payments/xendit`, verified by its `x-callback-token` header
  (constant time), then confirmed with `GET /v2/invoices/{id}`;
- statuses: PAID and SETTLED → succeeded, EXPIRED → failed, PENDING → nothing yet;
- refund: `POST /refunds` (`invoice_id`, `reference_id`: Saldo's refund id, also the
  Idempotency-key), then `GET /refunds/{id}` while it is PENDING.
"""
from __future__ import annotations

import hmac
from datetime import datetime
from typing import Mapping
from urllib.parse import urlsplit

from billing.errors import GatewayUnavailable, ValidationFailed
from billing.money import SUPPORTED_CURRENCIES, Money
from billing.payments import (Checkout, PaymentCallback, PaymentRequest, RefundOutcome,
                              RefundRequest)
from service.payments.gateway_http import (GatewayHttp, basic_auth, portal_return_url,
                                           whole_amount)
from service.runtime import json_body

TOKEN_HEADER = "x-callback-token"
SUCCEEDED = ("PAID", "SETTLED")
FAILED = ("EXPIRED",)
REFUND_STATES = {"SUCCEEDED": "succeeded", "PENDING": "pending", "FAILED": "failed"}


def _status(value: object) -> str:
    if value in SUCCEEDED:
        return "succeeded"
    if value in FAILED:
        return "failed"
    if value == "PENDING":
        return "pending"
    raise ValidationFailed("Unknown Xendit invoice status", field="status")


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationFailed(f"Xendit field {name!r} must be a non-empty string", field=name)
    return value


def invoice_statement(data: object) -> PaymentCallback:
    """An invoice as Xendit shows it (its callback body and its GET answer have this shape):
    https://github.com/xendit/xendit-php/blob/master/docs/Invoice/InvoiceCallback.md
    {"id", "external_id", "status", "amount", "paid_amount"?, "currency", "updated", …}"""
    if not isinstance(data, dict):
        raise ValidationFailed("Xendit invoice must be a JSON object")
    status = _status(data.get("status"))
    currency = data.get("currency", "IDR")
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationFailed("Xendit invoice currency is not supported", field="currency")
    paid = data.get("paid_amount") if status == "succeeded" and "paid_amount" in data \
        else data.get("amount")
    invoice_id = _text(data, "id")
    return PaymentCallback(_text(data, "external_id"), invoice_id, status,
                           Money(whole_amount(paid, "amount"), currency),
                           f"{invoice_id}:{data.get('status')}")


def _expiry(data: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(str(data["expiry_date"]))
    except (KeyError, ValueError):
        return None


class XenditProvider:
    name = "xendit"

    def __init__(self, secret_key: str, callback_token: str, base_url: str, public_url: str,
                 http: GatewayHttp) -> None:
        self._auth = {"Authorization": basic_auth(secret_key)}
        self._token = callback_token
        self._base = base_url.rstrip("/")
        self._public = public_url
        self._http = http
        # where its `invoice_url` leads (the portal's CSP form-action lets a form's redirect go
        # there): Xendit's hosted checkout, https://docs.xendit.co/apidocs/create-invoice
        self.checkout_origins = ("https://checkout.xendit.co", "https://checkout-staging.xendit.co",
                                 _origin(base_url))

    def __repr__(self) -> str:  # keep the keys out of logs
        return "XenditProvider()"

    async def create_payment(self, request: PaymentRequest) -> Checkout:
        async with self._http.bounded():      # look-up and creation: one deadline in all
            found = await self._by_external_id(request.payment_id)
            if found is None:
                answer = await self._http.call("POST", f"{self._base}/v2/invoices",
                                               headers=self._auth, body=self._invoice(request))
                if not answer.ok:
                    raise _refused("create the invoice", answer.status, answer.body)
                found = answer.body
        return Checkout(provider_reference=_text(found, "id"),
                        checkout_url=_text(found, "invoice_url"), expires_at=_expiry(found))

    def _invoice(self, request: PaymentRequest) -> dict:
        # https://github.com/xendit/xendit-php/blob/master/docs/Invoice/CreateInvoiceRequest.md
        back = portal_return_url(self._public, request.payment_id)
        body: dict = {"external_id": request.payment_id, "amount": request.amount.amount,
                      "currency": request.amount.currency, "description": request.description,
                      "success_redirect_url": back, "failure_redirect_url": back}
        if request.payer.email:
            body["payer_email"] = request.payer.email
        if request.valid_for_seconds:
            body["invoice_duration"] = max(1, request.valid_for_seconds)
        if request.items:
            body["items"] = [{"name": i.name[:255], "quantity": i.quantity,
                              "price": i.unit_price.amount} for i in request.items]
        return body

    async def _by_external_id(self, payment_id: str) -> dict | None:
        answer = await self._http.call("GET", f"{self._base}/v2/invoices",
                                       headers=self._auth, query={"external_id": payment_id})
        if answer.status == 404:
            return None
        if not answer.ok:
            raise _refused("look the invoice up", answer.status, answer.body)
        items = answer.body.get("items") if isinstance(answer.body, dict) else None
        found = [i for i in items or [] if isinstance(i, dict)
                 and i.get("external_id") == payment_id]
        return max(found, key=lambda i: str(i.get("created", ""))) if found else None

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        given = headers.get(TOKEN_HEADER) or headers.get("X-CALLBACK-TOKEN")
        if not self._token or not given:
            return False
        return hmac.compare_digest(given.encode(), self._token.encode())

    def parse(self, raw: bytes) -> PaymentCallback:
        return invoice_statement(json_body.decode(raw))     # not JSON: 400 invalid_json

    async def confirm(self, callback: PaymentCallback) -> PaymentCallback | None:
        confirmed = await self.status(callback.payment_id, callback.provider_reference)
        if confirmed is not None and confirmed.payment_id != callback.payment_id:
            raise ValidationFailed("The Xendit invoice belongs to another payment",
                                   field="external_id")
        return confirmed

    async def status(self, payment_id: str,
                     provider_reference: str | None) -> PaymentCallback | None:
        if provider_reference:
            answer = await self._http.call(
                "GET", f"{self._base}/v2/invoices/{provider_reference}", headers=self._auth)
            if answer.status == 404:
                return None
            if not answer.ok:
                raise _refused("read the invoice", answer.status, answer.body)
            found: dict | None = answer.body
        else:
            found = await self._by_external_id(payment_id)
        if found is None:
            return None
        statement = invoice_statement(found)
        return None if statement.status == "pending" else statement

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        if request.reference:     # asked before: how did it go?
            answer = await self._http.call("GET", f"{self._base}/refunds/{request.reference}",
                                           headers=self._auth)
        else:
            # https://github.com/xendit/xendit-php/blob/master/docs/Refund/CreateRefund.md
            answer = await self._http.call(
                "POST", f"{self._base}/refunds",
                headers={**self._auth, "Idempotency-key": request.refund_id},
                body={"invoice_id": request.provider_reference,
                      "reference_id": request.refund_id, "amount": request.amount.amount,
                      "currency": request.amount.currency, "reason": "CANCELLATION",
                      "metadata": {"saldo_payment_id": request.payment_id}})
        if not answer.ok:
            message = str(answer.body.get("message") or answer.body.get("error_code") or "")
            return RefundOutcome("failed", request.reference, f"HTTP {answer.status} {message}")
        state = REFUND_STATES.get(str(answer.body.get("status")), "pending")
        return RefundOutcome(state, str(answer.body.get("id") or request.reference or ""),
                             str(answer.body.get("failure_code") or ""))


def _refused(what: str, status: int, body: dict) -> GatewayUnavailable:
    """A 4xx the gateway decided (bad key, a refused request): the payment cannot be opened
    now; it is logged (without the body's personal data) and retried like an outage."""
    code = body.get("error_code") if isinstance(body, dict) else None
    return GatewayUnavailable(f"Xendit refused to {what} (HTTP {status} {code or ''})".strip())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
