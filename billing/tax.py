"""PPN (Indonesian VAT) as data, and the tax of one invoice as a pure function of its lines.

* A `TaxRate` is two exact fractions of integers: the `rate` and the `base` it applies to
  (PPN 11% on the full amount: rate 11/100, base 1/1; PPN 12% on a "DPP nilai lain" of 11/12
  of the price: rate 12/100, base 11/12). Floats are never involved.
* A `TaxSchedule` says, from its `effective_from`, which product kind (`plan`, `addon`, `topup`)
  is taxed at which rate, and whether prices are tax-exclusive (tax is added on top) or
  tax-inclusive (tax is taken out of the price). A kind missing from `rates` is not taxed; a
  schedule with no rates turns tax off from its date. The schedule in force for an invoice is
  the latest one whose `effective_from` is not after the invoice's issue time (`in_force`), so
  a change applies only to invoices issued after it; an issued invoice keeps its tax.
* `invoice_tax` computes an invoice's tax from its lines. Rounding: once per invoice, half-up
  to the currency's billed unit (whole rupiah) on the invoice's exact tax total (the sum over
  lines of amount x base x rate, kept as a Fraction), not line by line. We found no citable
  text of the e-Faktur rounding rule in the reference corpus; half-up on the total is the
  rule Saldo states and the tests pin. The tax base (DPP) shown is the exact base sum, rounded
  half-up on its own: it is informative, the tax is not recomputed from the rounded base.
* Inclusive prices: the price total P contains the tax; the exact tax is the sum of
  amount x base x rate / (1 + base x rate), rounded once, and the subtotal is P minus that tax,
  so subtotal + tax = P exactly.
* A line may be exempt (an add-on with `tax_exempt: true` in the catalog) or of a kind with no
  rate (e.g. a credit line): it counts in the subtotal and the total, never in the tax base.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from billing.errors import ValidationFailed
from billing.invoices import Order
from billing.money import Money, round_half_up

PRODUCT_KINDS = ("plan", "addon", "topup")
_ORDER_PRODUCT = {"topup": "topup", "addon": "addon"}   # every other order kind sells a plan


@dataclass(frozen=True, slots=True)
class TaxRate:
    name: str                     # printed on the invoice, e.g. "PPN"
    rate: Fraction                # 11/100
    base: Fraction = Fraction(1)  # share of the price taxed: 1, or 11/12

    @property
    def effective(self) -> Fraction:
        return self.rate * self.base

    def label(self) -> str:
        """`11%`, `12% × 11/12`, `11.5%`."""
        text = f"{_percent(self.rate)}%"
        return text if self.base == 1 else f"{text} × {self.base.numerator}/{self.base.denominator}"


def _percent(rate: Fraction) -> str:
    pct = rate * 100
    if pct.denominator == 1:
        return str(pct.numerator)
    hundredths = pct * 100
    if hundredths.denominator == 1:
        whole, rest = divmod(hundredths.numerator, 100)
        return f"{whole}.{rest:02d}".rstrip("0")
    return f"{pct.numerator}/{pct.denominator}"


@dataclass(frozen=True, slots=True)
class TaxSchedule:
    effective_from: datetime
    prices_include_tax: bool
    rates: Mapping[str, TaxRate] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TaxableLine:
    amount: Money
    kind: str                     # plan | addon | topup | anything else: untaxed
    exempt: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceTax:
    """What an invoice shows when tax applies; `total` is what the customer pays."""
    subtotal: Money               # the amount before tax (inclusive prices: price total - tax)
    tax_base: Money               # DPP: the taxed lines' base
    rates: tuple[TaxRate, ...]    # the rates applied, in the order first met
    tax: Money
    total: Money
    prices_include_tax: bool

    def rate_label(self) -> str:
        return " + ".join(f"{r.name} {r.label()}" for r in self.rates)


def in_force(schedules: Iterable[TaxSchedule], now: datetime) -> TaxSchedule | None:
    """The schedule of an invoice issued at `now`: the latest that has begun, or None."""
    started = [s for s in schedules if s.effective_from <= now]
    return max(started, key=lambda s: s.effective_from) if started else None


def order_lines(order: Order) -> list[TaxableLine]:
    """An order's lines with their product kind: a line's own `tax_kind` (add-on lines of a plan
    order), else the order's (a top-up, an add-on order, else a plan)."""
    default = _ORDER_PRODUCT.get(order.kind, "plan")
    return [TaxableLine(line.amount, line.tax_kind or default, line.tax_exempt)
            for line in order.lines]


def invoice_tax(lines: Sequence[TaxableLine], schedule: TaxSchedule | None) -> InvoiceTax | None:
    """The invoice's tax; None when no line is taxed (no schedule, no rate for its kinds, or all
    exempt): the invoice then shows no tax and costs the sum of its lines, as before PPN."""
    if schedule is None or not lines:
        return None
    currency = lines[0].amount.currency
    price_total = sum((line.amount for line in lines), Money.zero(currency))
    applied: list[TaxRate] = []
    exact_tax, exact_base = Fraction(0), Fraction(0)
    for line in lines:
        rate = None if line.exempt else schedule.rates.get(line.kind)
        if rate is None:
            continue
        if rate not in applied:
            applied.append(rate)
        net = Fraction(line.amount.amount)
        if schedule.prices_include_tax:
            net = net / (1 + rate.effective)
        exact_tax += net * rate.effective
        exact_base += net * rate.base
    if not applied:
        return None
    tax = Money(round_half_up(exact_tax), currency)
    subtotal = price_total - tax if schedule.prices_include_tax else price_total
    return InvoiceTax(subtotal, Money(round_half_up(exact_base), currency), tuple(applied), tax,
                      subtotal + tax, schedule.prices_include_tax)


# --- validation of the admin's schedules ------------------------------------------------------

def _fraction(value: object, field_name: str, *, zero_ok: bool) -> Fraction:
    if not isinstance(value, tuple) or len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationFailed("A fraction is two integers", field=field_name)
    numerator, denominator = value
    low = 0 if zero_ok else 1
    if denominator <= 0 or not low <= numerator <= denominator:
        bound = "from 0" if zero_ok else "above 0"
        raise ValidationFailed(f"A fraction {bound} up to 1 (denominator above 0)",
                               field=field_name,
                               details={"numerator": numerator, "denominator": denominator})
    return Fraction(numerator, denominator)


def tax_rate(name: str, rate: tuple[int, int], base: tuple[int, int], where: str) -> TaxRate:
    """A rate from the admin's integers; 422 naming `<where>.rate` or `<where>.base`."""
    return TaxRate(name, _fraction(rate, f"{where}.rate", zero_ok=True),
                   _fraction(base, f"{where}.base", zero_ok=False))


def check_schedules(schedules: Sequence[TaxSchedule]) -> None:
    """Kinds are product kinds; no two schedules start at the same moment."""
    seen: set[datetime] = set()
    for i, schedule in enumerate(schedules):
        for kind in schedule.rates:
            if kind not in PRODUCT_KINDS:
                raise ValidationFailed(f"Rates are per {', '.join(PRODUCT_KINDS)}",
                                       field=f"schedules.{i}.rates.{kind}")
        if schedule.effective_from in seen:
            raise ValidationFailed("Two schedules start at the same moment",
                                   field=f"schedules.{i}.effective_from")
        seen.add(schedule.effective_from)


def normal_tax_id(value: str, field_name: str = "seller_tax_id") -> str:
    """An NPWP: 15 or 16 digits (dots, dashes and spaces as written on cards are dropped);
    empty means none."""
    digits = "".join(c for c in value if c not in ".- ")
    if digits and (not digits.isascii() or not digits.isdigit() or len(digits) not in (15, 16)):
        raise ValidationFailed("An NPWP has 15 or 16 digits", field=field_name)
    return digits
