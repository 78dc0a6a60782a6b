"""Add-ons, pure: the terms of a catalog add-on, who may see and buy it, the quantity rules, and
the limits and entitlements a subscription's add-ons give. No I/O; validation of a whole
catalog entry is in billing/addon_catalog.py.

* **Visibility** (`visibility`): `resellers` is "all", "none" or a list of reseller ids; a
  reseller (and every workspace of that reseller) sees an add-on only if it is visible to it.
  `direct` (default true) is the same for the agency's direct customers (workspaces without a
  reseller). Hidden means neither listed nor purchasable nor assignable to such a workspace;
  the admin sees every add-on.
* **Buyable** by a subscription: active (`addon_inactive`), applicable to its plan
  (`addon_not_applicable`) and sold in its period unit (`addon_period_not_available`).
* **Quantity**: 1..max_quantity (`quantity_above_maximum`); `allow_multiple: false` means one
  unit at most (`addon_multiple_not_allowed`). A recurring add-on is held once (a second
  purchase is `addon_already_added`: change its quantity instead); a one-time add-on may be
  bought again, each purchase up to max_quantity.
* **Combinations**: every `requires` must be held (`addon_requires`); nothing held may be
  incompatible with it, in either direction (`addon_incompatible`).
* **Effective limits**: per limit key, the largest `set` of a held add-on wins (-1 = unlimited);
  otherwise the plan limit plus each `increment` x quantity (any -1 makes it unlimited).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from billing.errors import (AddonAlreadyAdded, AddonInactive, AddonIncompatible,
                            AddonMultipleNotAllowed, AddonNotApplicable, AddonPeriodNotAvailable,
                            AddonRequires, QuantityAboveMaximum, ValidationFailed)
from billing.money import Money
from billing.plans import LIMIT_KEYS, UNLIMITED
from billing.pricing import price_for

ADDON_TYPES = ("users", "contacts", "conversation_credit", "broadcast_credit", "feature")
CREDIT_BALANCE = {"conversation_credit": "conversation", "broadcast_credit": "broadcast"}
DEFAULT_CURRENCY = "USD"
ALL = "all"


def normal_visibility(visibility: Mapping | None) -> dict:
    """`visibility` with its defaults (add-ons stored before `direct` existed are visible to
    direct customers, as they were)."""
    return {"resellers": ALL, "direct": True, **(visibility or {})}


@dataclass(frozen=True)
class LimitRule:
    key: str
    value: int                   # -1 = unlimited
    action: str                  # increment | set


@dataclass(frozen=True)
class AddonTerms:
    id: str
    name: str
    display_name: str
    type: str
    consumption: int
    applicable_plans: tuple[str, ...] | None     # None: every plan
    billing: str
    pricing_scheme: str
    periods: Mapping[str, Mapping]    # unit → {currency, amount} | {currency, brackets}
    entitlements: tuple[str, ...] = ()
    limits: tuple[LimitRule, ...] = ()
    allow_multiple: bool = False        # consistent with max_quantity (addon_catalog.py)
    max_quantity: int = 1
    requires: tuple[str, ...] = ()
    incompatible_with: tuple[str, ...] = ()
    status: str = "active"
    resellers: tuple[str, ...] | str = ALL       # "all" | "none" | reseller ids
    direct: bool = True                          # visible to direct customers
    tax_exempt: bool = False                     # no PPN on it (billing/tax.py)

    @classmethod
    def from_data(cls, data: Mapping) -> AddonTerms:
        plans = data.get("applicable_plans", ALL)
        visibility = normal_visibility(data.get("visibility"))
        resellers = visibility["resellers"]
        return cls(
            id=data["id"], name=data["name"], display_name=data.get("display_name") or
            data["name"], type=data["type"], consumption=int(data.get("consumption", 1)),
            applicable_plans=None if plans == ALL else tuple(plans), billing=data["billing"],
            pricing_scheme=data["pricing_scheme"], periods=dict(data["periods"]),
            entitlements=tuple(data.get("entitlements") or ()),
            limits=tuple(LimitRule(r["key"], int(r["value"]), r["action"])
                         for r in data.get("limits") or ()),
            allow_multiple=bool(data.get("allow_multiple", False)),
            max_quantity=int(data.get("max_quantity", 1)),
            requires=tuple(data.get("requires") or ()),
            incompatible_with=tuple(data.get("incompatible_with") or ()),
            status=data.get("status", "active"),
            resellers=resellers if isinstance(resellers, str) else tuple(resellers),
            direct=visibility["direct"], tax_exempt=bool(data.get("tax_exempt")))

    @property
    def recurring(self) -> bool:
        return self.billing == "recurring"

    @property
    def currency(self) -> str:
        return next(iter(self.periods.values())).get("currency", DEFAULT_CURRENCY)

    @property
    def credit_balance(self) -> str | None:
        """The wallet balance a consumption add-on credits (None for the others)."""
        return CREDIT_BALANCE.get(self.type)

    @property
    def max_units(self) -> int:
        return self.max_quantity if self.allow_multiple else 1

    def applies_to(self, plan_id: str) -> bool:
        return self.applicable_plans is None or plan_id in self.applicable_plans

    def sold_in(self, unit: str) -> bool:
        return unit in self.periods

    def visible_to(self, reseller_id: str | None) -> bool:
        """To a reseller's workspaces (`reseller_id`), or to direct customers (None)."""
        if reseller_id is None:
            return self.direct
        if self.resellers == ALL:
            return True
        return self.resellers != "none" and reseller_id in self.resellers

    def price(self, unit: str, quantity: int) -> Money:
        """Full period price of `quantity` units, by the add-on's pricing scheme."""
        if not self.sold_in(unit):
            raise AddonPeriodNotAvailable(f"Add-on {self.name!r} is not sold {unit}",
                                          field="addon_id")
        entry = self.periods[unit]
        currency = entry.get("currency", DEFAULT_CURRENCY)
        if self.pricing_scheme == "unit":
            return price_for("unit", quantity, unit_price=Money(int(entry["amount"]), currency),
                             currency=currency)
        return price_for(self.pricing_scheme, quantity, brackets=entry["brackets"],
                         currency=currency)

    def credit(self, units: int) -> Money:
        """Rupiah of wallet credit that `units` of a consumption add-on give (its price may be
        in another currency: credit and price are never mixed)."""
        return Money.idr(units * self.consumption)


@dataclass(frozen=True)
class Holding:
    """An add-on a subscription holds: `quantity` now, `next_quantity` from the next period
    (None: the same; 0: it stops at the period end)."""
    addon_id: str
    quantity: int
    next_quantity: int | None = None

    @property
    def wanted(self) -> int:
        return self.quantity if self.next_quantity is None else self.next_quantity


def check_buyable(addon: AddonTerms, plan_id: str, unit: str, field: str = "addon_id") -> None:
    if addon.status != "active":
        raise AddonInactive(f"Add-on {addon.name!r} is not sold any more", field=field)
    if not addon.applies_to(plan_id):
        raise AddonNotApplicable(f"Add-on {addon.name!r} is not available on the {plan_id} plan",
                                 field=field)
    if not addon.sold_in(unit):
        raise AddonPeriodNotAvailable(f"Add-on {addon.name!r} is not sold {unit}", field=field)


def check_quantity(addon: AddonTerms, quantity: int, field: str = "quantity") -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValidationFailed("quantity must be an integer of at least 1", field=field)
    if quantity > 1 and not addon.allow_multiple:
        raise AddonMultipleNotAllowed(f"Add-on {addon.name!r} is sold one at a time", field=field,
                                      details={"maximum": 1})
    if quantity > addon.max_quantity:
        raise QuantityAboveMaximum(f"quantity {quantity} is above the maximum of "
                                   f"{addon.max_quantity}",
                                   field=field, details={"maximum": addon.max_quantity})


def check_combination(addon: AddonTerms, held: Mapping[str, AddonTerms],
                      field: str = "addon_id") -> None:
    """`held`: the other add-ons the subscription will hold alongside `addon`."""
    missing = [r for r in addon.requires if r not in held]
    if missing:
        raise AddonRequires(f"Add-on {addon.name!r} requires other add-ons first", field=field,
                            details={"missing": missing})
    clash = sorted(h for h, terms in held.items()
                   if h in addon.incompatible_with or addon.id in terms.incompatible_with)
    if clash:
        raise AddonIncompatible(f"Add-on {addon.name!r} cannot be combined with add-ons held",
                                field=field, details={"incompatible_with": clash})


def check_purchase(addon: AddonTerms, quantity: int, holdings: Mapping[str, Holding],
                   held: Mapping[str, AddonTerms], plan_id: str, unit: str) -> None:
    """Everything a purchase of `quantity` units must satisfy (see the module docstring)."""
    check_buyable(addon, plan_id, unit)
    check_quantity(addon, quantity)
    if addon.id in holdings:
        if addon.recurring:
            raise AddonAlreadyAdded(f"Add-on {addon.name!r} is already added; change its "
                                    "quantity", field="addon_id")
        if not addon.allow_multiple:
            raise AddonMultipleNotAllowed(f"Add-on {addon.name!r} is sold one at a time",
                                          field="addon_id")
    check_combination(addon, {k: v for k, v in held.items() if k != addon.id})


def required_by(addon_id: str, held: Mapping[str, AddonTerms]) -> list[str]:
    """The held add-ons that need `addon_id` (it cannot be stopped before them)."""
    return sorted(h for h, terms in held.items() if addon_id in terms.requires and h != addon_id)


def effective_limits(plan_limits: Mapping[str, int],
                     holdings: Iterable[tuple[AddonTerms, int]]) -> dict[str, int]:
    """Per limit key: the plan's limit with the held add-ons' sets and increments applied."""
    rules = [(rule, quantity) for addon, quantity in holdings for rule in addon.limits]
    out: dict[str, int] = {}
    for key in LIMIT_KEYS:
        sets = [r.value for r, _ in rules if r.key == key and r.action == "set"]
        if sets:
            out[key] = UNLIMITED if UNLIMITED in sets else max(sets)
            continue
        base = plan_limits.get(key, UNLIMITED)
        increments = [(r.value, q) for r, q in rules if r.key == key and r.action == "increment"]
        if base == UNLIMITED or any(v == UNLIMITED for v, _ in increments):
            out[key] = UNLIMITED
        else:
            out[key] = base + sum(v * q for v, q in increments)
    return out


def entitlements(holdings: Iterable[tuple[AddonTerms, int]]) -> set[str]:
    return {feature for addon, quantity in holdings if quantity > 0
            for feature in addon.entitlements}


def allows(limit: int, used: int, amount: int) -> bool:
    """May `amount` more be used under `limit` (-1 = unlimited)?"""
    return limit == UNLIMITED or used + amount <= limit
