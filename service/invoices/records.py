"""Invoices and payments as handlers, settlement and the order kinds see them: frozen records,
made from their documents (and back) only by their repositories (service/invoices/invoices.py,
service/payments/payments.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from billing.invoices import Text
from billing.money import Money
from billing.tax import InvoiceTax


@dataclass(frozen=True)
class Line:
    description: Text
    quantity: int
    unit_price: Money
    amount: Money


@dataclass(frozen=True)
class Party:
    """A seller or buyer as printed on an invoice, copied when it was issued (the buyer from
    the workspace's billing information then, if filled: service/workspaces/billing_info.py)."""
    name: str
    address: str = ""
    tax_id: str = ""              # NPWP
    workspace_id: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class OrderRef:
    """What an invoice was placed for (`invoice.order`, stored as `{kind, **reference}`): the
    order kind that applies its status (service/payments/orders.py) and the reference that kind
    gave (`billing.invoices.Order.reference`: `topup_id` and `balance` for a top-up; `order_id`,
    `workspace_id` and the plan or the add-on `action` for the other kinds)."""
    kind: str
    reference: Mapping[str, object]

    @property
    def order_id(self) -> str:
        """The order's id: `order_id`, or a top-up's `topup_id`."""
        return str(self.reference["order_id" if "order_id" in self.reference else "topup_id"])

    @property
    def action(self) -> str | None:
        """An add-on order's action (purchase | change | renewal); None for the other kinds."""
        action = self.reference.get("action")
        return None if action is None else str(action)


@dataclass(frozen=True)
class Invoice:
    id: str
    workspace_id: str
    code: str | None
    type: str
    order: OrderRef
    package: Text
    lines: tuple[Line, ...]
    amount: Money
    status: str                   # pending | paid | expired | failed | cancelled
    settled: bool                 # false: this status's consequences are not all applied yet
    requested_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    payment_id: str | None
    buyer: Party
    seller: Party
    number: int | None = None     # the invoice's number in its year (service/invoices/numbering.py)
    year: int = 0
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    rev: int = 0
    tax: InvoiceTax | None = None  # None: not taxed (`amount` is then the sum of the lines)

    @property
    def subtotal(self) -> Money:
        """The amount before tax: what a top-up credits (`amount` when not taxed)."""
        return self.tax.subtotal if self.tax else self.amount


@dataclass(frozen=True)
class Refund:
    """Money given back for a `needs_refund` payment (service/payments/refunds.py): `id` is
    Saldo's (the gateway's idempotency key; a new attempt after a failure gets a new one),
    `reference` the gateway's."""
    id: str
    status: str                   # pending | succeeded | failed
    amount: Money
    reason: str
    requested_at: datetime
    attempt: int = 1
    reference: str | None = None
    message: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Payment:
    id: str
    workspace_id: str
    invoice_id: str
    invoice_code: str | None
    provider: str
    provider_reference: str | None
    checkout_url: str | None
    amount: Money
    status: str                   # pending | succeeded | failed | needs_refund | refunded
    refund_reason: str | None
    created_at: datetime
    succeeded_at: datetime | None
    failed_at: datetime | None
    resolved: bool = True         # false: this status's consequences are not all applied yet
    event_id: str | None = None   # the provider event that set the status
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    rev: int = 0
    expires_at: datetime | None = None   # the link lapses (billing.payments.link_expiry)
    refund: Refund | None = None         # asked for by the admin (needs_refund → refunded)
    refunded_at: datetime | None = None
