"""Invoices and payments as handlers see them: frozen records, made from their documents only
by their repositories (service/invoices/invoices.py, service/payments/payments.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from billing.invoices import Text
from billing.money import Money


@dataclass(frozen=True)
class Line:
    description: Text
    quantity: int
    unit_price: Money
    amount: Money


@dataclass(frozen=True)
class Party:
    name: str
    address: str = ""
    tax_id: str = ""
    workspace_id: str = ""


@dataclass(frozen=True)
class Invoice:
    id: str
    workspace_id: str
    code: str | None
    type: str
    order: Mapping[str, object]   # {kind, …}: what its order kind needs (service/payments/orders.py)
    package: Text
    lines: tuple[Line, ...]
    amount: Money
    status: str
    settled: bool
    requested_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    payment_id: str | None
    buyer: Party
    seller: Party


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
    status: str                   # pending | succeeded | failed | needs_refund
    refund_reason: str | None
    created_at: datetime
    succeeded_at: datetime | None
    failed_at: datetime | None
    resolved: bool = True         # false: this status's consequences are not all applied yet
    event_id: str | None = None   # the provider event that set the status
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    rev: int = 0
