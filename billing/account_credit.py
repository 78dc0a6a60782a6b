"""Account credit: money owed back to a customer, kept per workspace and currency and spent on
its next invoices in that currency (issue 11 item 3).

An account is a balance and its ledger, kept together (service/credit/repository.py writes
both in one conditional replace): the balance always equals the sum of its entries.

    credit    +amount  an add-on stopped now, a quantity lowered, an immediate downgrade
                       (the holding transition's key: `addon_refund:…`, `addon_excess:…`)
    applied   -amount  used by an invoice (`credit_applied:<invoice id>`, once per invoice)
    returned  +amount  the same amount back when that invoice closed unpaid
                       (`credit_returned:<invoice id>`)

Credit is never negative: an invoice takes `min(balance, total)` (`usable`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from billing.invoices import InvoiceLine, Order, Text
from billing.money import Money

ENTRY_KINDS = ("credit", "applied", "returned")
CREDIT_LINE = Text("Kredit akun digunakan", "Credit applied")


@dataclass(frozen=True)
class CreditEntry:
    key: str
    kind: str                    # one of ENTRY_KINDS
    amount: Money                # signed: applied entries are negative
    at: datetime
    n: int                       # position in its account's ledger, from 1
    meta: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CreditAccount:
    workspace_id: str
    currency: str
    balance: Money
    entries: tuple[CreditEntry, ...] = ()

    def entry(self, key: str) -> CreditEntry | None:
        return next((e for e in self.entries if e.key == key), None)


def usable(balance: Money, total: Money) -> Money:
    """What an invoice of `total` takes from `balance` (same currency): all it can, never more
    than the invoice costs, never below zero."""
    if total.amount <= 0 or balance.amount <= 0:
        return Money.zero(total.currency)
    return Money(min(balance.amount, total.amount), total.currency)


def with_credit(order: Order, taken: Money) -> Order:
    """The order with a "Credit applied" line of `-taken` (unchanged when nothing was taken)."""
    if taken.amount <= 0:
        return order
    line = InvoiceLine(CREDIT_LINE, 1, -taken, tax_kind="credit")   # no rate: never taxed
    return Order(order.kind, order.invoice_type, order.package, (*order.lines, line),
                 order.reference)


def credit_used(lines) -> bool:
    """Did an invoice with these lines use account credit (its only negative line)?"""
    return any(line.unit_price.is_negative() for line in lines)


def before_credit(amount: Money, lines) -> Money:
    """What an invoice of `amount` due with these lines cost before account credit: what was
    bought (a top-up's amount), whatever credit paid of it."""
    for line in lines:
        if line.unit_price.is_negative():
            amount = amount - line.amount
    return amount
