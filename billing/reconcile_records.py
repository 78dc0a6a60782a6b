"""What reconciliation reads about one workspace, as small frozen records (made from the stored
documents by service/reconcile/repository.py), and what it reports: `Violation`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from billing.account_credit import CreditAccount
from billing.money import Money
from billing.rates import RateCard


@dataclass(frozen=True)
class Posting:
    """One applied ledger entry. `amount` is its signed change of granted + purchased - arrears;
    `delta` the change of each bucket (granted, purchased, arrears)."""
    key: str
    intent_key: str
    kind: str
    balance: str
    amount: int
    delta: tuple[int, int, int]
    meta: Mapping[str, object]
    order: int
    at: datetime


@dataclass(frozen=True)
class AddonLine:
    """An add-on line of an order (add-on orders, and plan orders that carry add-ons)."""
    addon_id: str
    type: str
    billing: str                 # recurring | one_time
    consumption: int             # rupiah of wallet credit per unit (consumption add-ons)
    units: int
    amount: Money


@dataclass(frozen=True)
class OrderRecord:
    """A top-up, an add-on order or a plan order. `applied`: its paid content was delivered
    (false when it was paid but logged for a refund instead, `outcome: not_applied`); `lines`
    are the add-on lines that applied."""
    id: str
    kind: str                    # topup | addon | plan
    status: str                  # new | pending | paid | closed | expired | failed | cancelled
    amount: Money
    invoice_id: str | None
    applied: bool = True
    lines: tuple[AddonLine, ...] = ()
    period_start: datetime | None = None
    period_end: datetime | None = None
    balance: str | None = None   # a top-up's balance
    plan: str | None = None      # a plan order's plan
    immediate: bool = False      # a plan order applied at once (an upgrade)


@dataclass(frozen=True)
class InvoiceRecord:
    id: str
    status: str
    amount: Money
    payment_id: str | None
    order_id: str | None         # the order (or top-up) it pays for


@dataclass(frozen=True)
class PaymentRecord:
    id: str
    invoice_id: str
    status: str                  # pending | succeeded | failed | needs_refund
    amount: Money
    resolved: bool


@dataclass(frozen=True)
class HoldingRecord:
    addon_id: str
    quantity: int
    next_quantity: int | None


@dataclass(frozen=True)
class History:
    """Everything the invariants need about one workspace. `rate_cards`: every card that may
    have priced its messages (see billing/reconcile.py, charges)."""
    workspace_id: str
    postings: tuple[Posting, ...]
    orders: tuple[OrderRecord, ...] = ()
    invoices: tuple[InvoiceRecord, ...] = ()
    payments: tuple[PaymentRecord, ...] = ()
    holdings: tuple[HoldingRecord, ...] = ()
    rate_cards: tuple[RateCard, ...] = ()
    credit_accounts: tuple[CreditAccount, ...] = ()   # billing/account_credit.py


@dataclass(frozen=True)
class Violation:
    """One broken invariant, with the objects involved. Reported, never repaired."""
    rule: str
    message: str
    workspace_id: str
    ledger_keys: tuple[str, ...] = ()
    order_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None
    addon_id: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"rule": self.rule, "message": self.message, "workspace_id": self.workspace_id,
               "ledger_keys": list(self.ledger_keys)}
        for name in ("order_id", "invoice_id", "payment_id", "addon_id"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.details:
            out["details"] = dict(self.details)
        return out
