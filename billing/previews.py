"""What an order will cost, before it is placed: one shape for every kind of order. Pure.

A `Preview` is built from the very invoice lines (or credit) the order's own pricing function
produces (service/previews/), so the order answers with exactly these lines and totals.

* `lines`: what, how many units, at what unit price, for which dates, and, when prorated, the
  exact fraction (`Proration`: by elapsed `time` for add-ons, by whole local `days` for an
  immediate plan upgrade). A negative amount is money owed back (an add-on stopped now, a
  quantity lowered).
* `credits_applied`: account credit that will pay part of it (`CreditApplied`, negative
  amounts); `tax`: the tax of the order or None (no tax configured). Both are part of `totals`.
* `totals`: one per currency, lines + credits + tax, the lines' first currency first.
* `takes_effect`: `when_paid` (an invoice), `now` (no invoice: applied at once) or
  `period_end` (scheduled); `effective_at` the instant when it is known.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal

from billing.invoices import InvoiceLine, Text
from billing.money import Money
from billing.periods import Period
from billing.plans import LimitShrink
from billing.tax import InvoiceTax, TaxableLine

PREVIEW_KINDS = ("plan_change", "renewal", "addon_purchase", "addon_quantity", "addon_stop",
                 "topup")
TakesEffect = Literal["when_paid", "now", "period_end"]


@dataclass(frozen=True)
class Proration:
    """numerator / denominator of the period's price is charged (or credited): by `days`,
    days left (today counts) of the days in the period, unreduced ("21 of 30 days"); by
    `time`, the exact share of the period from `start` to `end`, in lowest terms."""
    basis: Literal["time", "days"]
    numerator: int
    denominator: int
    start: datetime
    end: datetime

    @classmethod
    def by_time(cls, share: Fraction, start: datetime, end: datetime) -> Proration:
        return cls("time", share.numerator, share.denominator, start, end)


@dataclass(frozen=True)
class PreviewLine:
    kind: str                    # plan | addon | topup
    description: Text
    units: int
    unit_price: Money
    amount: Money
    addon_id: str | None = None
    covers: Period | None = None  # the dates the line pays for (None: not a period)
    proration: Proration | None = None
    tax_exempt: bool = False     # an add-on the catalog marks `tax_exempt`

    @classmethod
    def of(cls, line: InvoiceLine, kind: str, addon_id: str | None = None,
           covers: Period | None = None, proration: Proration | None = None) -> PreviewLine:
        return cls(kind, line.description, line.quantity, line.unit_price, line.amount,
                   addon_id, covers, proration, line.tax_exempt)


@dataclass(frozen=True)
class CreditApplied:
    description: Text
    amount: Money                # negative


@dataclass(frozen=True)
class Preview:
    kind: str                    # one of PREVIEW_KINDS
    lines: tuple[PreviewLine, ...]
    takes_effect: TakesEffect
    effective_at: datetime | None
    currency: str                # of the total when there are no lines
    credits_applied: tuple[CreditApplied, ...] = ()
    tax: tuple[InvoiceTax, ...] = ()   # one per taxed invoice (currency); (): no tax
    shrinking: tuple[LimitShrink, ...] = ()
    removed_addons: tuple = ()   # billing.addon_orders.Removal

    @property
    def totals(self) -> list[Money]:
        """One per currency: lines, credits applied and tax added on top of the prices."""
        amounts = [line.amount for line in self.lines] + \
            [c.amount for c in self.credits_applied] + \
            [t.tax for t in self.tax if not t.prices_include_tax]
        sums: dict[str, Money] = {}
        for amount in amounts:
            c = amount.currency
            sums[c] = sums[c] + amount if c in sums else amount
        return list(sums.values()) or [Money.zero(self.currency)]


def taxable_lines(lines: tuple[PreviewLine, ...]) -> dict[str, list[TaxableLine]]:
    """Per currency, the lines its invoice will carry, as billing/tax.py taxes them (a preview
    line's `kind` is the invoice line's product kind: plan, addon or topup)."""
    out: dict[str, list[TaxableLine]] = {}
    for line in lines:
        out.setdefault(line.amount.currency, []).append(
            TaxableLine(line.amount, line.kind, line.tax_exempt))
    return out
