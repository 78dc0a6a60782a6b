"""Subscription decisions, pure: the change policy table, quotes, and what the billing run must
do next for one subscription given its state and `now`.

Policy table: rules matched in order (first match wins; `*` matches anything); the default is
`end_of_term`. `immediate` is honoured only for an upgrade within the same period unit (a
higher-ranked plan); any other change a rule marks immediate still happens at the end of the
term, because a prorated difference is only defined within one period.

The run, per subscription (`next_step`), with `end` = end of the current period:
* before `end - lead`: nothing (Wait).
* from `end - lead`: if the plan for the next period (the scheduled change, else the current
  plan) costs money and has no open or paid order for the next period, issue one
  (IssueRenewal); so an unpaid invoice that expired is replaced by a new one.
* from `end`: roll over into the next period with the scheduled plan if it is free or paid,
  else the current plan if free or paid. Otherwise wait for payment until `grace` has passed
  since `end` (and since the first invoice for that period was issued), then lapse to Free.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Literal, Union

from billing.errors import PlanUnchanged
from billing.money import Money
from billing.periods import Period, days_in, next_period
from billing.plans import FREE_PLAN, LimitShrink, PlanTerms, limits_shrinking
from billing.proration import days_remaining, upgrade_difference

Timing = Literal["end_of_term", "immediate"]


@dataclass(frozen=True)
class PolicyRule:
    timing: Timing
    from_plan: str = "*"
    to_plan: str = "*"
    from_period: str = "*"
    to_period: str = "*"
    direction: str = "*"

    def matches(self, values: dict[str, str]) -> bool:
        return all(getattr(self, k) in ("*", v) for k, v in values.items())


DEFAULT_POLICY: tuple[PolicyRule, ...] = (PolicyRule("end_of_term"),)


@dataclass(frozen=True)
class Choice:
    """A plan in one period unit."""
    plan: PlanTerms
    unit: str

    @property
    def key(self) -> tuple[str, str]:
        return self.plan.id, self.unit

    @property
    def paid(self) -> bool:
        return self.plan.is_paid(self.unit)


def change_direction(current: Choice, target: Choice) -> str:
    if current.key == target.key:
        return "same"
    if target.plan.rank != current.plan.rank:
        return "upgrade" if target.plan.rank > current.plan.rank else "downgrade"
    return "period_change"


def decide_timing(rules: tuple[PolicyRule, ...] | list[PolicyRule], current: Choice,
                  target: Choice) -> Timing:
    direction = change_direction(current, target)
    values = {"from_plan": current.plan.id, "to_plan": target.plan.id,
              "from_period": current.unit, "to_period": target.unit, "direction": direction}
    timing = next((r.timing for r in rules if r.matches(values)), "end_of_term")
    if timing == "immediate" and (direction != "upgrade" or current.unit != target.unit):
        return "end_of_term"
    return timing


def invoice_type(current: Choice, target: Choice) -> str:
    if current.key == target.key:
        return "renewal"
    return "subscription" if not current.paid else "plan_change"


@dataclass(frozen=True)
class QuoteLine:
    kind: str                    # plan | addon
    description: str
    quantity: int
    unit_price: Money
    amount: Money
    addon_id: str | None = None  # add-on lines: which add-on,
    quantity_change: int | None = None  # and +/- units vs now


@dataclass(frozen=True)
class Quote:
    target: Choice
    direction: str
    timing: Timing
    invoice_type: str
    lines: list[QuoteLine]
    total: Money
    covers: Period               # the period the plan line pays for
    effective_at: datetime | None  # None: when the invoice is paid
    shrinking: list[LimitShrink] = field(default_factory=list)
    removed_addons: list = field(default_factory=list)  # billing.addon_orders.Removal

    @property
    def totals(self) -> list[Money]:
        """One total per currency of the lines, the plan's first (`total` is the plan's)."""
        sums: dict[str, Money] = {}
        for line in self.lines:
            currency = line.amount.currency
            sums[currency] = sums[currency] + line.amount if currency in sums else line.amount
        return list(sums.values())


def quote_change(current: Choice, target: Choice, period: Period, anchor_day: int,
                 rules: tuple[PolicyRule, ...] | list[PolicyRule], used: dict[str, int],
                 now: datetime, tz: tzinfo,
                 limits: tuple[Mapping[str, int], Mapping[str, int]] | None = None) -> Quote:
    """What changing from `current` (in `period`) to `target` costs and when it applies.
    `limits`: the effective limits now and after the change (default: the plans' own)."""
    direction = change_direction(current, target)
    if direction == "same":
        raise PlanUnchanged(f"Already on {target.plan.id} ({target.unit}); to undo a scheduled "
                            "change, delete it", field="plan")
    timing = decide_timing(rules, current, target)
    before, after = limits or (current.plan.limits, target.plan.limits)
    shrinking = limits_shrinking(before, after, used)
    kind = invoice_type(current, target)
    if timing == "immediate":
        amount = upgrade_difference(current.plan.price(current.unit),
                                    target.plan.price(target.unit), period, now, tz)
        if amount.amount > 0:     # nothing to pay (same price): at the end of the term
            days = f"{days_remaining(period, now, tz)} of {days_in(period, tz)} days"
            line = QuoteLine("plan", f"{current.plan.name} → {target.plan.name}, {days}", 1,
                             amount, amount)
            return Quote(target, direction, timing, kind, [line], amount, period, None,
                         shrinking)
    covers = next_period(period, target.unit, anchor_day, tz)
    price = target.plan.price(target.unit)
    line = QuoteLine("plan", f"{target.plan.name} ({target.unit})", 1, price, price)
    return Quote(target, direction, "end_of_term", kind, [line], price, covers, period.end,
                 shrinking)


# --- the billing run ------------------------------------------------------------------------

@dataclass(frozen=True)
class Cycle:
    """What the run knows about one subscription."""
    current: Choice
    period: Period
    anchor_day: int
    scheduled: Choice | None                 # an end-of-term change, if any
    next_orders: dict[tuple[str, str], str]  # next period's orders: pending | paid | closed
    invoiced_since: datetime | None = None   # first order issued for the next period


@dataclass(frozen=True)
class IssueRenewal:
    target: Choice
    invoice_type: str
    covers: Period


@dataclass(frozen=True)
class Rollover:
    target: Choice
    period: Period               # the new current period
    reason: str                  # renewed | changed | lapsed
    expire_old: bool             # unused grant of the ending period expires
    grant: Money                 # the new period's conversation credit


@dataclass(frozen=True)
class Wait:
    until: datetime


Step = Union[IssueRenewal, Rollover, Wait]


def _rollover(cycle: Cycle, target: Choice, reason: str, tz: tzinfo) -> Rollover:
    new = next_period(cycle.period, target.unit, cycle.anchor_day, tz)
    return Rollover(target, new, reason, not cycle.current.plan.rolls_over, target.plan.grant)


def _covered(cycle: Cycle, choice: Choice | None) -> bool:
    return choice is not None and (not choice.paid or cycle.next_orders.get(choice.key) == "paid")


def lapse_at(end: datetime, invoiced_since: datetime | None,
             grace: timedelta) -> datetime | None:
    """When an unpaid next period lapses to Free: `grace` after the period's `end` and after
    its first invoice was issued; None while none was issued (nothing lapses then)."""
    return None if invoiced_since is None else max(end, invoiced_since) + grace


def next_step(cycle: Cycle, now: datetime, *, lead: timedelta, grace: timedelta,
              free: PlanTerms, tz: tzinfo) -> Step:
    end = cycle.period.end
    preferred = cycle.scheduled or cycle.current
    if now >= end:
        for choice in (cycle.scheduled, cycle.current):
            if _covered(cycle, choice):
                reason = "renewed" if choice.key == cycle.current.key else "changed"
                return _rollover(cycle, choice, reason, tz)
        lapse = lapse_at(end, cycle.invoiced_since, grace)
        if lapse is not None and now >= lapse:
            return _rollover(cycle, Choice(free, "monthly"), "lapsed", tz)
    unordered = cycle.next_orders.get(preferred.key) in (None, "closed")
    if now >= end - lead and preferred.paid and unordered:
        return IssueRenewal(preferred, invoice_type(cycle.current, preferred),
                            next_period(cycle.period, preferred.unit, cycle.anchor_day, tz))
    if now < end - lead and preferred.paid:
        return Wait(end - lead)
    if now < end:
        return Wait(end)
    return Wait(max(end, cycle.invoiced_since or end) + grace)


__all__ = ["Choice", "Cycle", "DEFAULT_POLICY", "FREE_PLAN", "IssueRenewal", "PolicyRule",
           "Quote", "QuoteLine", "Rollover", "Wait", "change_direction", "decide_timing",
           "invoice_type", "lapse_at", "next_step", "quote_change"]
