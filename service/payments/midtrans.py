"""Midtrans, through Snap: one hosted page (or popup) for every method. The transaction's
`order_id` is Saldo's payment id, or `<payment id>-<n>` when Midtrans holds the earlier ones
already; the `order_id` used is the payment's `provider_reference` (status and refunds ask by it).

- create: `POST {MIDTRANS_BASE_URL}/snap/v1/transactions` → `redirect_url`. An order id is
  single-use at Midtrans (https://docs.midtrans.com/docs/error-code-and-response-code: "order_id
  has been paid and utilized, please use another order ID … add a suffix … to make it unique";
  Snap answers HTTP 400 `transaction_details.order_id sudah digunakan` / "has already been
  taken"), and a Snap page whose creation answer was lost (a timeout) cannot be found again:
  the status API knows only transactions, not Snap tokens ("Transaction doesn't exist"). So a
  refused order id means an earlier attempt reached Midtrans and nobody holds its page: the
  next suffix is asked for (`ORDER_IDS` at most, under the one deadline). Nothing needs to be
  recorded before the call: a notification's `<payment id>-<n>` names its payment;
- notification: `POST /webhooks/payments/midtrans`, verified by its `signature_key`
  (SHA-512 of order_id + status_code + gross_amount + the server key; constant time), then
  confirmed with `GET {MIDTRANS_API_BASE_URL}/v2/{order_id}/status`;
- statuses: `settlement`, and `capture` with fraud status `accept` → succeeded; `pending` (and a
  `challenge`d capture) → nothing yet; `deny`, `cancel`, `expire`, `failure` → failed;
- refund: `POST {MIDTRANS_API_BASE_URL}/v2/{order_id}/refund` with Saldo's refund id as
  `refund_key` (asking again with the same key is the same refund).
Payments opened before order ids had suffixes keep the Snap token or `transaction_id` as their
reference: they are asked about by their payment id, which was their `order_id`.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Mapping
from urllib.parse import urlsplit

from billing.errors import GatewayUnavailable, InvalidJson, ValidationFailed
from billing.money import SUPPORTED_CURRENCIES, Money
from billing.payments import (Checkout, Item, PaymentCallback, PaymentRequest, RefundOutcome,
                              RefundRequest)
from service.payments.gateway_http import (GatewayHttp, basic_auth, portal_return_url,
                                           whole_amount)
from service.runtime import json_body

FAILED = ("deny", "cancel", "expire", "failure")
ORDER_IDS = 20           # order ids tried for one payment (each refusal: one earlier attempt)
TAKEN = ("sudah digunakan", "already been taken", "already been used", "utilized")
SIGNED_FIELDS = ("order_id", "status_code", "gross_amount")
ITEM_NAME_MAX = 50       # Snap's item_details[].name


def transaction_status(transaction_status: object, fraud_status: object) -> str:
    """Midtrans' status of a transaction → succeeded | failed | pending (nothing to do yet).
    https://docs.midtrans.com/docs/transaction-status-cycle"""
    if transaction_status == "settlement":
        return "succeeded"
    if transaction_status == "capture":
        return "succeeded" if fraud_status in ("accept", None) else "pending"  # challenge: wait
    if transaction_status in FAILED:
        return "failed"
    return "pending"    # pending, authorize, and refund/chargeback (nothing Saldo credits)


def order_id_of(payment_id: str, attempt: int) -> str:
    return payment_id if attempt == 0 else f"{payment_id}-{attempt}"


def payment_of(order_id: str) -> str:
    """The payment an `order_id` belongs to (`pay_…-2` → `pay_…`; payment ids have no `-`)."""
    base, dash, attempt = order_id.rpartition("-")
    return base if dash and base and attempt.isdigit() else order_id


def _order_of(payment_id: str, reference: str | None) -> str:
    """The order id to ask about: the payment's reference when it is one of its order ids."""
    return reference if reference and payment_of(reference) == payment_id else payment_id


def _taken(status: int, body: dict) -> bool:
    """Midtrans refused the order id as used already (see the module doc)."""
    messages = body.get("error_messages") or [body.get("status_message")]
    said = " ".join(m for m in messages if isinstance(m, str)).lower() \
        if isinstance(messages, list) else ""
    return status in (400, 406, 409) and "order_id" in said and any(t in said for t in TAKEN)


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()
                          ).hexdigest()


def statement(data: object) -> PaymentCallback:
    """A transaction as Midtrans shows it (the notification and the status API answer share
    this shape): https://docs.midtrans.com/reference-link/get-transaction-status
    {"order_id", "transaction_id", "transaction_status", "fraud_status"?, "status_code",
     "gross_amount": "50000.00", "currency": "IDR", "signature_key", …}"""
    if not isinstance(data, dict):
        raise ValidationFailed("Midtrans notification must be a JSON object")
    order_id, status = data.get("order_id"), data.get("transaction_status")
    if not isinstance(order_id, str) or not order_id or len(order_id) > 200:
        raise ValidationFailed("Midtrans order_id must be a non-empty string", field="order_id")
    if not isinstance(status, str):
        raise ValidationFailed("Midtrans transaction_status is missing",
                               field="transaction_status")
    currency = data.get("currency", "IDR")
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationFailed("Midtrans currency is not supported", field="currency")
    transaction_id = str(data.get("transaction_id") or order_id)[:200]
    return PaymentCallback(payment_of(order_id), order_id,
                           transaction_status(status, data.get("fraud_status")),
                           Money(whole_amount(data.get("gross_amount"), "gross_amount"),
                                 currency),
                           f"{transaction_id}:{status}:{data.get('fraud_status') or ''}")


def _items(request: PaymentRequest) -> list[dict]:
    """Snap refuses item_details whose sum differs from gross_amount: the invoice's lines when
    they add up (with the tax line), else one line for the whole invoice."""
    items = list(request.items)
    if sum(i.unit_price.amount * i.quantity for i in items) != request.amount.amount:
        items = [Item(f"Invoice {request.invoice_code}", 1, request.amount)]
    return [{"id": f"line-{n}", "name": i.name[:ITEM_NAME_MAX], "quantity": i.quantity,
             "price": i.unit_price.amount} for n, i in enumerate(items, 1)]


class MidtransProvider:
    name = "midtrans"

    def __init__(self, server_key: str, snap_url: str, api_url: str, public_url: str,
                 http: GatewayHttp) -> None:
        self._key = server_key
        self._auth = {"Authorization": basic_auth(server_key)}
        self._snap = snap_url.rstrip("/")
        self._api = api_url.rstrip("/")
        self._public = public_url
        self._http = http
        # Snap's `redirect_url` is on the Snap host (app[.sandbox].midtrans.com): the portal's
        # CSP form-action lets a form's redirect go there
        parts = urlsplit(snap_url)
        self.checkout_origins = (f"{parts.scheme}://{parts.netloc}",)

    def __repr__(self) -> str:  # keep the key out of logs
        return "MidtransProvider()"

    async def create_payment(self, request: PaymentRequest) -> Checkout:
        async with self._http.bounded():      # every order id tried: one deadline in all
            for attempt in range(ORDER_IDS):
                order_id = order_id_of(request.payment_id, attempt)
                answer = await self._http.call("POST", f"{self._snap}/snap/v1/transactions",
                                               headers=self._auth,
                                               body=self._transaction(request, order_id))
                if not _taken(answer.status, answer.body):
                    break
        if not answer.ok or not isinstance(answer.body.get("redirect_url"), str):
            messages = answer.body.get("error_messages") if isinstance(answer.body, dict) else ""
            raise GatewayUnavailable(f"Midtrans refused the transaction (HTTP {answer.status}"
                                     f" {messages or ''})")
        return Checkout(provider_reference=order_id, checkout_url=answer.body["redirect_url"])

    def _transaction(self, request: PaymentRequest, order_id: str) -> dict:
        # https://docs.midtrans.com/docs/snap-advanced-feature (request) → {token, redirect_url}
        body: dict = {
            "transaction_details": {"order_id": order_id,
                                    "gross_amount": request.amount.amount},
            "item_details": _items(request),
            "callbacks": {"finish": portal_return_url(self._public, request.payment_id)}}
        payer = {k: v for k, v in (("first_name", request.payer.name[:255]),
                                   ("email", request.payer.email),
                                   ("phone", request.payer.phone)) if v}
        if payer:
            body["customer_details"] = payer
        if request.valid_for_seconds:
            body["expiry"] = {"unit": "minute",
                              "duration": max(1, request.valid_for_seconds // 60)}
        return body

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        try:
            data = json_body.decode(raw)
        except InvalidJson:
            return False    # cannot be verified: 401, like any unsigned body
        if not self._key or not isinstance(data, dict):
            return False
        fields = [data.get(name) for name in SIGNED_FIELDS]
        given = data.get("signature_key")
        if not all(isinstance(f, str) for f in fields) or not isinstance(given, str):
            return False
        expected = signature(*fields, self._key)
        return hmac.compare_digest(expected.encode(), given.strip().lower().encode())

    def parse(self, raw: bytes) -> PaymentCallback:
        return statement(json_body.decode(raw))

    async def confirm(self, callback: PaymentCallback) -> PaymentCallback | None:
        return await self.status(callback.payment_id, callback.provider_reference)

    async def status(self, payment_id: str,
                     provider_reference: str | None) -> PaymentCallback | None:
        order_id = _order_of(payment_id, provider_reference)
        answer = await self._http.call("GET", f"{self._api}/v2/{order_id}/status",
                                       headers=self._auth)
        # Midtrans answers an unknown order with HTTP 404, or HTTP 200 and "status_code": "404"
        if answer.status == 404 or str(answer.body.get("status_code")) == "404":
            return None
        if not answer.ok:
            raise GatewayUnavailable(f"Midtrans refused the status request "
                                     f"(HTTP {answer.status})")
        found = statement(answer.body)
        if found.payment_id != payment_id:
            raise ValidationFailed("The Midtrans transaction belongs to another order",
                                   field="order_id")
        return None if found.status == "pending" else found

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        # https://docs.midtrans.com/reference-link/refund-transaction
        answer = await self._http.call(
            "POST", f"{self._api}/v2/{_order_of(request.payment_id, request.provider_reference)}"
            "/refund", headers=self._auth,
            body={"refund_key": request.refund_id, "amount": request.amount.amount,
                  "reason": request.reason[:255]})
        code = str(answer.body.get("status_code") or answer.status)
        message = str(answer.body.get("status_message") or "")
        if answer.ok and code in ("200", "201"):
            return RefundOutcome("succeeded", str(answer.body.get("refund_key")
                                                  or request.refund_id), message)
        return RefundOutcome("failed", request.reference, f"{code} {message}".strip())
