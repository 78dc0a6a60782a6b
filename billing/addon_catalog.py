"""Validation of a catalog add-on (the agency panel's form), pure. `validate_addon` checks a
whole add-on (a create, or an existing one with a PATCH merged in) and returns it normalized;
every refusal is a ValidationFailed naming the field:

* `applicable_plans`: "all" or a non-empty list of known plans;
* `periods`: one or more of monthly | quarterly | yearly, each with a price (422 on
  `periods.<unit>` when missing); `unit` takes `amount`, the bracket schemes take `brackets`
  (contiguous from 1: billing.pricing.validate_brackets), nothing negative, one currency;
* `max_quantity` >= 1 and within the last finite bracket; `allow_multiple` true iff it is above
  1 (one left out is derived from the other; neither: one unit at a time); `consumption` >= 1
  except for features;
* `limits`: keys of the plan limits, `increment` | `set`, value >= -1; an add-on of type users or
  contacts without limits gets {key: type, value: consumption, action: increment};
* `entitlements`: required for type feature;
* `requires` / `incompatible_with`: other known add-ons, not itself, not both;
* `visibility.resellers`: "all", "none" or known reseller ids; `visibility.direct`: a boolean
  (default true: visible to the agency's direct customers);
* `tax_exempt`: a boolean (default false): no PPN on the add-on's lines (billing/tax.py).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

from billing.addons import ADDON_TYPES, ALL, DEFAULT_CURRENCY, normal_visibility
from billing.errors import ValidationFailed
from billing.money import SUPPORTED_CURRENCIES
from billing.periods import UNIT_MONTHS
from billing.plans import LIMIT_KEYS, UNLIMITED, plan_not_found
from billing.pricing import SCHEMES, validate_brackets


def _bad(field: str, message: str, **details) -> ValidationFailed:
    return ValidationFailed(message, field=field, details=details or None)


def _check_plans(plans: object, known: Collection[str]) -> None:
    if plans == ALL:
        return
    if not isinstance(plans, list) or not plans:
        raise _bad("applicable_plans", 'Choose at least one plan, or "all"')
    unknown = [p for p in plans if p not in known]
    if unknown:
        raise plan_not_found(", ".join(map(str, unknown)), "applicable_plans", known)
    if len(set(plans)) != len(plans):
        raise _bad("applicable_plans", "A plan is listed twice")


def _check_price(unit: str, entry: object, scheme: str) -> str:
    field = f"periods.{unit}"
    if not isinstance(entry, Mapping) or (entry.get("amount") is None
                                          and entry.get("brackets") is None):
        raise _bad(field, f"The price for {unit} is missing")
    currency = entry.get("currency") or DEFAULT_CURRENCY
    if currency not in SUPPORTED_CURRENCIES:
        raise _bad(f"{field}.currency", f"Unsupported currency {currency!r}")
    if scheme == "unit":
        amount = entry.get("amount")
        if entry.get("brackets") is not None or isinstance(amount, bool) \
                or not isinstance(amount, int):
            raise _bad(f"{field}.amount", "The unit scheme takes an integer amount (minor "
                                          "units), not brackets")
        if amount < 0:
            raise _bad(f"{field}.amount", "A price cannot be negative")
        return currency
    if entry.get("amount") is not None:
        raise _bad(f"{field}.brackets", f"The {scheme} scheme takes brackets, not an amount")
    try:
        validate_brackets(entry["brackets"])
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=f"{field}.brackets",
                               details=exc.details) from None
    return currency


def _normal(entry: Mapping, scheme: str) -> dict:
    currency = entry.get("currency") or DEFAULT_CURRENCY
    if scheme == "unit":
        return {"currency": currency, "amount": entry["amount"]}
    return {"currency": currency, "brackets": [dict(b) for b in entry["brackets"]]}


def _check_periods(periods: object, scheme: str) -> None:
    if scheme not in SCHEMES:
        raise _bad("pricing_scheme", f"Unknown pricing scheme {scheme!r}")
    if not isinstance(periods, Mapping) or not periods:
        raise _bad("periods", "Sell the add-on in at least one period (monthly, quarterly, "
                              "yearly) with a price for each")
    for unit in periods:
        if unit not in UNIT_MONTHS:
            raise _bad(f"periods.{unit}", f"Unknown period {unit!r}; expected monthly, "
                                          "quarterly or yearly")
    currencies = {_check_price(unit, entry, scheme) for unit, entry in periods.items()}
    if len(currencies) > 1:
        raise _bad("periods", "All prices of an add-on are in one currency",
                   currencies=sorted(currencies))


def quantity_rules(allow_multiple: bool | None, maximum: object) -> tuple[bool, int]:
    """The (allow_multiple, max_quantity) pair, consistent: several units iff the maximum is
    above 1. One left out (None) is derived from the other; neither → one unit at a time."""
    if maximum is None:
        if allow_multiple:
            raise _bad("max_quantity", "allow_multiple: true needs max_quantity (2 or more)",
                       allow_multiple=True)
        return False, 1
    if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
        raise _bad("max_quantity", "max_quantity must be at least 1")
    if allow_multiple is not None and allow_multiple != (maximum > 1):
        need = "2 or more" if allow_multiple else "1 (one unit at a time)"
        raise _bad("max_quantity", f"allow_multiple: {str(allow_multiple).lower()} needs "
                                   f"max_quantity {need}, not {maximum}",
                   allow_multiple=allow_multiple, max_quantity=maximum)
    return maximum > 1, maximum


def effective_quantity(stored: Mapping) -> tuple[bool, int]:
    """What a stored add-on really sells: max_quantity units if allow_multiple, else one (those
    stored before the pair had to agree may say true with 1, or false with 50)."""
    units = stored.get("max_quantity", 1) if stored.get("allow_multiple") else 1
    return units > 1, units


def patched_quantity(current: Mapping, changes: Mapping) -> dict:
    """The quantity fields a PATCH is validated with: what it gives, and the other one
    re-derived (the stored maximum is kept when it agrees with a new allow_multiple)."""
    allow, maximum = changes.get("allow_multiple"), changes.get("max_quantity")
    stored = effective_quantity(current)[1]
    if "max_quantity" not in changes:
        maximum = None if allow is not None and (stored > 1) != allow else stored
    return {"allow_multiple": allow if "allow_multiple" in changes else None,
            "max_quantity": maximum}


def _check_quantity(data: Mapping) -> None:
    maximum = data["max_quantity"]
    for unit, entry in data["periods"].items():
        brackets = entry.get("brackets")
        top = brackets[-1]["to"] if brackets else None
        if top is not None and maximum > top:
            raise _bad("max_quantity", f"max_quantity {maximum} is beyond the last bracket of "
                                       f"{unit} (up to {top})",
                       max_quantity=maximum, period=unit, bracket_up_to=top)


def _limits(data: Mapping) -> list[dict]:
    limits = list(data.get("limits") or [])
    if not limits and data["type"] in ("users", "contacts"):
        return [{"key": data["type"], "value": data["consumption"], "action": "increment"}]
    for i, rule in enumerate(limits):
        if rule.get("key") not in LIMIT_KEYS:
            raise _bad(f"limits.{i}.key", f"Limits are {', '.join(LIMIT_KEYS)}")
        if rule.get("action") not in ("increment", "set"):
            raise _bad(f"limits.{i}.action", "action is increment or set")
        value = rule.get("value")
        if isinstance(value, bool) or not isinstance(value, int) or value < UNLIMITED:
            raise _bad(f"limits.{i}.value", "value is an integer >= -1 (-1 = unlimited)")
    return [{"key": r["key"], "value": r["value"], "action": r["action"]} for r in limits]


def _check_links(data: Mapping, self_id: str | None, known: Collection[str]) -> None:
    requires, incompatible = data.get("requires") or [], data.get("incompatible_with") or []
    for field, ids in (("requires", requires), ("incompatible_with", incompatible)):
        for i, other in enumerate(ids):
            if other == self_id:
                raise _bad(f"{field}.{i}", "An add-on cannot refer to itself", addon=other, itself=True)
            if other not in known:
                raise _bad(f"{field}.{i}", f"Unknown add-on {other!r}", addon=other, unknown=True)
    both = sorted(set(requires) & set(incompatible))
    if both:
        raise _bad("incompatible_with", "An add-on cannot both require and exclude another",
                   addons=both)


def _check_visibility(visibility: object, resellers: Collection[str]) -> dict:
    """→ the visibility with its defaults ({resellers: "all", direct: true})."""
    if not isinstance(visibility, Mapping):
        raise _bad("visibility", 'visibility is {"resellers": …, "direct": true|false}')
    visibility = normal_visibility(visibility)
    if not isinstance(visibility["direct"], bool):
        raise _bad("visibility.direct", "direct (visible to direct customers) is true or false")
    value = visibility["resellers"]
    if value in (ALL, "none"):
        return visibility
    if not isinstance(value, list):
        raise _bad("visibility.resellers", 'resellers is "all", "none" or a list of ids')
    unknown = [r for r in value if r not in resellers]
    if unknown:
        raise _bad("visibility.resellers", "Unknown reseller(s)", resellers=unknown[:10])
    return visibility


def validate_addon(data: Mapping, *, plans: Collection[str], addons: Collection[str],
                   resellers: Collection[str], self_id: str | None = None) -> dict:
    """→ the add-on, normalized (derived limits); raises ValidationFailed with its field."""
    if data.get("type") not in ADDON_TYPES:
        raise _bad("type", f"type is one of {', '.join(ADDON_TYPES)}")
    consumption = data.get("consumption")
    floor = 0 if data["type"] == "feature" else 1
    if isinstance(consumption, bool) or not isinstance(consumption, int) or consumption < floor:
        raise _bad("consumption", f"consumption (what one unit adds) must be >= {floor}")
    if data["type"] == "feature" and not data.get("entitlements"):
        raise _bad("entitlements", "A feature add-on grants at least one feature")
    _check_plans(data.get("applicable_plans"), plans)
    _check_periods(data.get("periods"), data.get("pricing_scheme"))
    allow_multiple, max_quantity = quantity_rules(data.get("allow_multiple"),
                                                  data.get("max_quantity"))
    data = {**data, "allow_multiple": allow_multiple, "max_quantity": max_quantity}
    _check_quantity(data)
    _check_links(data, self_id, addons)
    visibility = _check_visibility(data.get("visibility"), resellers)
    exempt = data.get("tax_exempt")
    if exempt is not None and not isinstance(exempt, bool):
        raise _bad("tax_exempt", "tax_exempt (no PPN on this add-on) is true or false")
    periods = {unit: _normal(entry, data["pricing_scheme"])
               for unit, entry in data["periods"].items()}
    return {**data, "periods": periods, "limits": _limits(data), "visibility": visibility,
            "tax_exempt": bool(exempt)}
