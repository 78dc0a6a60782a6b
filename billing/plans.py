"""Plans as data: prices per period unit, limits, the conversation grant per period.

Pure: built from plain dicts by `service/` (see `PlanTerms.from_data`), no I/O.
A limit of -1 means unlimited. Free (`FREE_PLAN`) costs nothing and is the fallback plan.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from collections.abc import Iterable

from billing.errors import (FreePlanMustBeFree, PeriodNotAvailable, PeriodNotFound, PlanNotFound,
                            ValidationFailed)
from billing.money import Money, round_half_up
from billing.periods import UNIT_MONTHS

FREE_PLAN = "free"
LIMIT_KEYS = ("users", "contacts", "broadcast_quota")
UNLIMITED = -1


@dataclass(frozen=True)
class PlanTerms:
    id: str
    name: str
    rank: int
    prices: dict[str, Money]
    grant: Money
    rolls_over: bool = False
    limits: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict) -> PlanTerms:
        return cls(
            id=data["id"], name=data["name"], rank=int(data.get("rank", 0)),
            prices={u: Money(int(p["amount"]), p.get("currency", "IDR"))
                    for u, p in data["prices"].items()},
            grant=Money(int(data["conversation_grant"]["amount"]),
                        data["conversation_grant"].get("currency", "IDR")),
            rolls_over=bool(data.get("grant_rolls_over", False)),
            limits={k: int(v) for k, v in (data.get("limits") or {}).items()})

    def price(self, unit: str) -> Money:
        if unit not in UNIT_MONTHS:
            raise PeriodNotFound(f"Unknown period {unit!r}; expected one of "
                                 f"{', '.join(UNIT_MONTHS)}", field="period")
        if unit not in self.prices:
            raise PeriodNotAvailable(f"Plan {self.id!r} is not sold {unit}", field="period")
        return self.prices[unit]

    def is_paid(self, unit: str) -> bool:
        return self.price(unit).amount > 0

    def limit(self, key: str) -> int:
        return self.limits.get(key, UNLIMITED)


def plan_not_found(plan_id: object, field: str | None, known: Iterable[str] = ()
                   ) -> PlanNotFound:
    """`plan_not_found`, one rule everywhere: a 404 like any missing resource, whether the
    plan is the path's resource (`field` None) or named in a body field (`field` set)."""
    names = ", ".join(known)
    message = f"Unknown plan {plan_id!r}" + (f"; the plans are {names}" if names else "")
    return PlanNotFound(message, field=field, details={"plans": list(known)} if names else None)


def find_plan(plans: dict[str, PlanTerms], plan_id: str, field: str = "plan") -> PlanTerms:
    plan = plans.get(plan_id)
    if plan is None:
        raise plan_not_found(plan_id, field, plans)
    return plan


def _bigger(a: int, b: int) -> bool:
    """Is limit `a` larger than limit `b`? (-1 is unlimited)"""
    if a == UNLIMITED:
        return b != UNLIMITED
    return b != UNLIMITED and a > b


@dataclass(frozen=True)
class LimitShrink:
    key: str
    used: int
    current_max: int
    new_max: int

    @property
    def exceeded(self) -> bool:
        return self.new_max != UNLIMITED and self.used > self.new_max


def shrinking_limits(current: PlanTerms, target: PlanTerms,
                     used: dict[str, int]) -> list[LimitShrink]:
    """The plan limits that get smaller going from `current` to `target`, with current usage."""
    return limits_shrinking({k: current.limit(k) for k in LIMIT_KEYS},
                            {k: target.limit(k) for k in LIMIT_KEYS}, used)


def limits_shrinking(before: Mapping[str, int], after: Mapping[str, int],
                     used: Mapping[str, int]) -> list[LimitShrink]:
    """The limits that get smaller from `before` to `after` (missing = unlimited): a change's
    notice compares the effective limits (plan plus add-ons, billing.addons.effective_limits)."""
    return [LimitShrink(k, used.get(k, 0), before.get(k, UNLIMITED), after.get(k, UNLIMITED))
            for k in LIMIT_KEYS if _bigger(before.get(k, UNLIMITED), after.get(k, UNLIMITED))]


def validate_plan(plan: PlanTerms) -> None:
    """Rules an admin edit must keep: IDR prices >= 0 per known unit; Free costs nothing."""
    for unit, price in plan.prices.items():
        if unit not in UNIT_MONTHS:
            raise ValidationFailed(f"Unknown period {unit!r}", field=f"prices.{unit}")
        if price.currency != "IDR" or price.is_negative():
            raise ValidationFailed("Plan prices are rupiah >= 0", field=f"prices.{unit}")
        if plan.id == FREE_PLAN and not price.is_zero():
            raise FreePlanMustBeFree("Free costs nothing", field=f"prices.{unit}")
    if plan.id == FREE_PLAN and set(plan.prices) != set(UNIT_MONTHS):
        raise ValidationFailed("Free is sold in every period", field="prices")
    if plan.grant.currency != "IDR" or plan.grant.is_negative():
        raise ValidationFailed("The grant is rupiah >= 0", field="conversation_grant")
    for key, value in plan.limits.items():
        if key not in LIMIT_KEYS or value < UNLIMITED:
            raise ValidationFailed(f"Bad limit {key}={value}", field=f"limits.{key}")


@dataclass(frozen=True)
class Saving:
    """What buying `unit` saves against paying monthly for as many months (the plans page)."""
    amount: Money
    percent: int                 # of the monthly total, rounded half up


def saving_vs_monthly(plan: PlanTerms, unit: str) -> Saving | None:
    """None when there is nothing saved (monthly itself, a free plan, no monthly price)."""
    monthly, price = plan.prices.get("monthly"), plan.prices.get(unit)
    if monthly is None or price is None or unit not in UNIT_MONTHS:
        return None
    full = monthly * UNIT_MONTHS[unit]
    saved = full - price
    if saved.amount <= 0:
        return None
    return Saving(saved, round_half_up(Fraction(saved.amount * 100, full.amount)))
