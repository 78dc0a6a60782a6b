"""Invoices: one per order, numbered `INV/YYYY/NNNNNN` (gapless per year, never reused).

An *order* is what a customer asks to buy (a top-up, later a subscription or an add-on). It
carries its invoice's type, the human-readable package, the lines and a small `reference` that
lets the order's kind fulfil it once the invoice is paid.

Statuses: pending → paid | expired | failed | cancelled. Only a pending invoice changes; every
other status is final (an expired invoice keeps its code).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from billing.errors import ValidationFailed
from billing.money import Money

INVOICE_TYPES = ("subscription", "renewal", "plan_change", "addon", "topup")
FINAL_STATUSES = ("paid", "expired", "cancelled", "failed")
_CODE = re.compile(r"^INV/(\d{4})/(\d{6,})$")


@dataclass(frozen=True, slots=True)
class Text:
    """A short text in every supported language; `{amount}` is filled in when rendered."""
    id: str
    en: str

    def render(self, lang: str, amount: str = "") -> str:
        template = self.en if lang == "en" else self.id
        return template.replace("{amount}", amount)

    def to_dict(self) -> dict:
        return {"id": self.id, "en": self.en}


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: Text
    quantity: int
    unit_price: Money
    tax_kind: str | None = None   # product kind for tax (billing/tax.py); None: the order's
    tax_exempt: bool = False      # an add-on the catalog marks `tax_exempt`

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) \
                or self.quantity < 1:
            raise ValidationFailed("Line quantity must be a positive integer", field="quantity")

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    kind: str                      # who fulfils it: "topup" (later "subscription", "addon")
    invoice_type: str              # one of INVOICE_TYPES
    package: Text
    lines: tuple[InvoiceLine, ...]
    reference: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.invoice_type not in INVOICE_TYPES:
            raise ValueError(f"unknown invoice type {self.invoice_type!r}")
        if not self.lines:
            raise ValueError("an order has at least one line")

    @property
    def total(self) -> Money:
        total = Money.zero(self.lines[0].unit_price.currency)
        for line in self.lines:
            total = total + line.amount
        return total


def invoice_code(year: int, number: int) -> str:
    if number < 1:
        raise ValueError("invoice numbers start at 1")
    return f"INV/{year:04d}/{number:06d}"


def parse_invoice_code(text: str) -> tuple[int, int] | None:
    """`INV/2026/000123` → (2026, 123); None when it is not an invoice code."""
    match = _CODE.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def invoice_year(requested_at: datetime, tz: tzinfo) -> int:
    """Invoices are numbered per calendar year of the seller's local date."""
    return requested_at.astimezone(tz).year


def number_in_window(last_number: int, recent: list[str], invoice_id: str) -> int | None:
    """The number an invoice got from the counter, if it is among the `recent` allocations.

    The counter document keeps `n` (the last number handed out) and `recent` (the invoice ids
    that took the last len(recent) numbers, oldest first): recent[-1] took n, recent[-2] took
    n-1, and so on.
    """
    for back, holder in enumerate(reversed(recent)):
        if holder == invoice_id:
            return last_number - back
    return None


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def payable(status: str, expires_at: datetime, now: datetime) -> bool:
    """Can this invoice still be paid (pay later)? Only while pending and before its deadline:
    a payment arriving later is refunded (billing/payments.py), so no link is handed out."""
    return status == "pending" and now < expires_at
