"""Payments: what Saldo needs from a payment provider, and the rules of a payment's life.

    pending ──success──▶ succeeded ──(invoice still payable)──▶ the invoice is paid, order fulfilled
       │                     └──────(invoice expired/failed)──▶ needs_refund (money came too late)
       └──failure──▶ failed ──success (a provider may change its mind)──▶ succeeded …

A success is honoured only for a pending invoice whose expiry is after the moment the success
arrived; anything else is money Saldo must give back, never a second fulfilment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Mapping, Protocol

from billing.errors import PaymentAmountMismatch, ValidationFailed
from billing.money import SUPPORTED_CURRENCIES, Money

PaymentStatus = Literal["pending", "succeeded", "failed", "needs_refund"]
CallbackStatus = Literal["succeeded", "failed", "pending"]   # pending: nothing happened yet
SUCCESS_FROM = ("pending", "failed")     # statuses a success callback may move on from
FAILURE_FROM = ("pending",)              # a failure after a success changes nothing
MAX_ID_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Payer:
    """Who pays, from the billing information on the invoice (empty fields: not known)."""
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """One line of what is paid for, as a gateway's hosted page lists it."""
    name: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What the provider is asked to collect. `valid_for_seconds`: how long the link should
    live (the invoice's remaining time: PAYMENT_EXPIRY for a new order); `return_url`: where
    the gateway sends the customer back to."""
    payment_id: str
    invoice_code: str
    description: str
    amount: Money
    payer: Payer = Payer()
    items: tuple[Item, ...] = ()
    valid_for_seconds: int | None = None
    return_url: str = ""


RefundStatus = Literal["pending", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """Give a payment's money back. `refund_id` is Saldo's (idempotency key at the gateway);
    `reference` the gateway's id of this refund when an earlier attempt got one (then the
    provider asks how it went instead of refunding again)."""
    refund_id: str
    payment_id: str
    provider_reference: str | None
    amount: Money
    reason: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    status: RefundStatus
    reference: str | None
    message: str = ""


@dataclass(frozen=True, slots=True)
class Checkout:
    provider_reference: str
    checkout_url: str
    expires_at: datetime | None = None   # when the provider's link lapses (None: with the invoice)


@dataclass(frozen=True, slots=True)
class PaymentCallback:
    """A provider's verified statement about one payment."""
    payment_id: str
    provider_reference: str
    status: CallbackStatus
    amount: Money
    event_id: str


class PaymentProvider(Protocol):
    name: str

    async def create_payment(self, request: PaymentRequest) -> Checkout:
        """Open a payment (idempotent by payment_id) and say where the customer pays."""

    def verify(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Is this callback body really from the provider (constant-time)?"""

    def parse(self, raw: bytes) -> PaymentCallback:
        """A verified body → PaymentCallback; ValidationFailed when malformed."""

    async def confirm(self, callback: PaymentCallback) -> PaymentCallback | None:
        """Never trust one message: what the provider's own status API says about the payment
        a verified callback is about (None: still pending there). GatewayUnavailable when it
        cannot be asked."""

    async def status(self, payment_id: str,
                     provider_reference: str | None) -> PaymentCallback | None:
        """Ask the provider about a payment (the sweep's poll for lost callbacks); None while
        pending or unknown there."""

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        """Give the money back (idempotent by `refund_id`), or how an earlier refund went."""


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise ValidationFailed(f"Callback field {name!r} must be a non-empty string", field=name)
    return value


def callback_from_dict(data: object) -> PaymentCallback:
    """Validate a decoded callback body {payment_id, provider_reference, status, amount,
    currency, event_id}. `amount` is an integer of the currency's billed unit."""
    if not isinstance(data, dict):
        raise ValidationFailed("Callback body must be a JSON object")
    status = data.get("status")
    if status not in ("succeeded", "failed"):
        raise ValidationFailed("Callback status must be succeeded or failed", field="status")
    amount = data.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationFailed("Callback amount must be a non-negative integer", field="amount")
    currency = data.get("currency")
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationFailed("Callback currency is not supported", field="currency")
    return PaymentCallback(_text(data, "payment_id"), _text(data, "provider_reference"), status,
                           Money(amount, currency), _text(data, "event_id"))


def check_amount(callback: PaymentCallback, expected: Money) -> None:
    """A callback must confirm exactly the invoice's amount and currency."""
    if callback.amount != expected:
        raise PaymentAmountMismatch(
            "Paid amount does not match the invoice",
            field="amount", details={"expected": expected.to_dict(),
                                     "received": callback.amount.to_dict()})


def paid_in_time(expires_at: datetime, succeeded_at: datetime) -> bool:
    """A success counts only if it arrived before the invoice expired."""
    return succeeded_at < expires_at


def refund_reason(invoice_status: str, superseded: bool = False) -> str:
    """Why a success is given back. `superseded`: the invoice had moved on to a newer payment
    (pay later) and is still open: only the invoice's current payment may pay it."""
    if superseded and invoice_status == "pending":
        return "payment_superseded"
    return "invoice_expired" if invoice_status in ("pending", "expired") \
        else f"invoice_{invoice_status}"


def link_expiry(invoice_expires_at: datetime, provider_expires_at: datetime | None) -> datetime:
    """A payment's link lapses with its invoice, or earlier if the provider says so."""
    if provider_expires_at is None:
        return invoice_expires_at
    return min(invoice_expires_at, provider_expires_at)


def link_live(status: str, expires_at: datetime | None, now: datetime) -> bool:
    """Can the customer still pay through this payment's link? Pending and not lapsed (a
    payment stored before payments had `expires_at` lapses with its invoice only)."""
    return status == "pending" and (expires_at is None or now < expires_at)
