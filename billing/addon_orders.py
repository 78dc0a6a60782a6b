"""What add-on orders cost, pure: purchases, quantity changes, stops, renewals, and what happens
to the held add-ons at a period boundary or a plan switch.

* A recurring add-on bought (or increased) mid-period is prorated from `now` to the period end
  by elapsed time (billing.proration.prorate: exact fraction, one rounding). The change is priced
  on the difference of the two scheme prices, so volume, tier and package brackets are honoured:
  price(new) - price(old), prorated, rounded once. A one-time add-on costs its full price, once.
* A renewal line is the full period price for the wanted quantity; a supplement for units not yet
  on a next-period order costs price(wanted) - price(ordered), never below zero.
* An invoice line counts the units it charges (a change 1 → 3 charges 2) at their real unit
  price, so quantity × unit price = amount exactly; when one rounding of the total leaves an
  amount that does not split evenly into the units, the line is 1 × the total and says so.
* At a boundary each recurring add-on keeps min(wanted, paid for the new period) units: what the
  next period's paid orders did not cover is dropped; what they covered beyond the wanted quantity
  is "excess" (credited back by the service). Add-ons the new plan or period unit does not allow
  are removed at the switch, one-time add-ons included.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from billing.addons import AddonTerms, Holding
from billing.invoices import Text
from billing.money import Money
from billing.periods import Period, local_dates
from billing.proration import prorate
from billing.subscriptions import Quote, QuoteLine

UNIT_TEXT = {"monthly": ("bulanan", "monthly"), "quarterly": ("triwulanan", "quarterly"),
             "yearly": ("tahunan", "yearly")}


@dataclass(frozen=True)
class AddonCharge:
    """One add-on line of an order: the add-on will have `quantity` units (`change` vs now);
    the line pays for `units` (what the invoice line counts, and what a consumption add-on
    credits: units x consumption)."""
    addon_id: str
    description: Text
    quantity: int
    change: int
    amount: Money
    units: int


# Why a held add-on is removed: at a switch, the new plan does not allow it (`not_applicable`),
# it is not sold in the new period unit (`period_not_available`) or it left the catalog
# (`not_in_catalog`); at a boundary, it was stopped (`stopped`) or its renewal not paid (`unpaid`).
REMOVAL_REASONS = ("not_applicable", "period_not_available", "not_in_catalog", "stopped",
                   "unpaid")


@dataclass(frozen=True)
class Removal:
    addon_id: str
    quantity: int
    reason: str                  # see REMOVAL_REASONS


@dataclass(frozen=True)
class Rolled:
    holdings: dict[str, Holding]
    removed: list[Removal] = field(default_factory=list)
    excess: dict[str, tuple[int, int]] = field(default_factory=dict)  # id → (paid, kept)


def describe(addon: AddonTerms, units: int, unit: str | None, period: Period | None = None,
             tz: tzinfo | None = None, notes: tuple[Text, ...] = ()) -> Text:
    """The line's text for the `units` it charges; a period is printed as calendar dates in
    `tz` (SALDO_TIMEZONE)."""
    dates = f" {local_dates(period, tz)}" if period and tz else ""
    unit_id, unit_en = UNIT_TEXT[unit] if unit and addon.recurring else ("sekali", "one-time")
    extra_id, extra_en = "".join(f", {n.id}" for n in notes), "".join(f", {n.en}" for n in notes)
    return Text(f"Add-on {addon.display_name} × {units} ({unit_id}){dates}{extra_id}",
                f"Add-on {addon.display_name} × {units} ({unit_en}){dates}{extra_en}")


def line_parts(amount: Money, units: int) -> tuple[int, Money]:
    """(quantity, unit price) of the invoice line of `units` units worth exactly `amount`:
    the units at their real unit price when `amount` splits evenly into them, else one line
    of the whole amount (its description says so: `_whole_line`)."""
    if units > 0 and amount.amount % units == 0:
        return units, Money(amount.amount // units, amount.currency)
    return 1, amount


def _whole_line(amount: Money, units: int, prorated: bool) -> tuple[Text, ...]:
    """The note of a line that cannot be units × a whole unit price (proration rounds once,
    on the total, so 2 units may cost an odd number of rupiah): it states the total."""
    if amount.amount <= 0 or line_parts(amount, units)[0] == units:
        return ()
    return (Text("total prorata", "prorated total") if prorated else
            Text("total", "total"),)


def _charge(addon: AddonTerms, unit: str | None, quantity: int, change: int, amount: Money,
            units: int, period: Period | None, tz: tzinfo | None, note: str = "",
            prorated: bool = False) -> AddonCharge:
    """A line charging `amount` for `units` units; the add-on will then have `quantity`."""
    notes = ((Text(note, note),) if note else ()) + _whole_line(amount, units, prorated)
    return AddonCharge(addon.id, describe(addon, units or abs(change), unit, period, tz, notes),
                       quantity, change, amount, units)


def purchase_charge(addon: AddonTerms, unit: str, quantity: int, period: Period,
                    now: datetime, tz: tzinfo) -> AddonCharge:
    """A new add-on: recurring → prorated to the period end; one-time → full price."""
    if not addon.recurring:
        return _charge(addon, None, quantity, quantity, addon.price(unit, quantity), quantity,
                       None, None)
    amount = prorate(addon.price(unit, quantity), period, now)
    return _charge(addon, unit, quantity, quantity, amount, quantity, Period(now, period.end),
                   tz, prorated=True)


def change_charge(addon: AddonTerms, unit: str, old: int, new: int, period: Period,
                  now: datetime, tz: tzinfo) -> AddonCharge:
    """Quantity `old` → `new` for the rest of the period: positive = to pay, negative = credit.
    The line charges the units added (`units`), not the new quantity."""
    delta = addon.price(unit, new) - addon.price(unit, old)
    amount = prorate(delta, period, now)
    return _charge(addon, unit, new, new - old, amount, max(0, new - old),
                   Period(now, period.end), tz, f"{old} → {new}", prorated=True)


def stop_credit(addon: AddonTerms, unit: str, quantity: int, period: Period,
                now: datetime) -> Money:
    """What the unused rest of the period of a recurring add-on is worth."""
    return prorate(addon.price(unit, quantity), period, now)


def renewal_charge(addon: AddonTerms, unit: str, wanted: int, ordered: int, period: Period,
                   current: int, tz: tzinfo) -> AddonCharge:
    """The next period's line for units not on any next-period order yet."""
    amount = addon.price(unit, wanted) - (addon.price(unit, ordered) if ordered else
                                          Money.zero(addon.currency))
    note = f"{ordered} → {wanted}" if ordered else ""
    return _charge(addon, unit, wanted, wanted - current, amount if amount.amount > 0 else
                   Money.zero(amount.currency), wanted - ordered, period, tz, note)


def removal_reason(addon: AddonTerms | None, plan_id: str, unit: str) -> str | None:
    """Why a subscription on (plan_id, unit) may not keep the add-on; None if it may. (Its
    status does not matter.)"""
    if addon is None:
        return "not_in_catalog"
    if not addon.applies_to(plan_id):
        return "not_applicable"
    if addon.recurring and not addon.sold_in(unit):
        return "period_not_available"
    return None


def next_quantities(holdings: Mapping[str, Holding], scheduled: Mapping[str, int] | None,
                    catalog: Mapping[str, AddonTerms], plan_id: str,
                    unit: str) -> tuple[dict[str, int], list[Removal]]:
    """The units wanted in the next period on (plan_id, unit), and the add-ons removed at the
    switch because the plan or period does not allow them (or they left the catalog)."""
    wanted = {a: h.wanted for a, h in holdings.items()}
    wanted.update(scheduled or {})
    keep: dict[str, int] = {}
    removed: list[Removal] = []
    for addon_id, quantity in sorted(wanted.items()):
        held = holdings.get(addon_id)
        reason = removal_reason(catalog.get(addon_id), plan_id, unit)
        if reason:
            if held:
                removed.append(Removal(addon_id, held.quantity, reason))
        elif quantity > 0:
            keep[addon_id] = quantity
    return keep, removed


def roll(holdings: Mapping[str, Holding], wanted: Mapping[str, int],
         removed: list[Removal], paid: Mapping[str, int],
         catalog: Mapping[str, AddonTerms]) -> Rolled:
    """The holdings of the new period: recurring ones keep min(wanted, paid) units."""
    out: dict[str, Holding] = {}
    gone = list(removed)
    excess: dict[str, tuple[int, int]] = {}
    for addon_id in sorted(set(holdings) | set(wanted) | set(paid)):
        addon, want, covered = catalog.get(addon_id), wanted.get(addon_id, 0), paid.get(addon_id, 0)
        recurring = addon is None or addon.recurring
        kept = min(want, covered) if recurring else want
        if recurring and covered > kept:
            excess[addon_id] = (covered, kept)
        if kept > 0:
            out[addon_id] = Holding(addon_id, kept)
        elif addon_id in holdings and not any(r.addon_id == addon_id for r in gone):
            reason = "stopped" if want == 0 else "unpaid"
            gone.append(Removal(addon_id, holdings[addon_id].quantity, reason))
    return Rolled(out, gone, excess)


def with_addons(quote: Quote, charges: list[AddonCharge], removed: list[Removal]) -> Quote:
    """The plan quote with its add-on lines (+/- quantities) and the add-ons removed at the
    switch; `total` includes the add-on lines in the plan's currency, `totals` has every
    currency's."""
    lines = list(quote.lines)
    total = quote.total
    for charge in charges:
        quantity, unit_price = line_parts(charge.amount, charge.units)
        lines.append(QuoteLine("addon", charge.description.en, quantity, unit_price,
                               charge.amount, charge.addon_id, charge.change))
        if charge.amount.currency == total.currency:
            total = total + charge.amount
    return replace(quote, lines=lines, total=total, removed_addons=list(removed))
