"""Add-on pricing schemes, as Zoho Subscriptions defines them. Pure: no I/O.

Brackets are plain dicts, amounts in the smallest billed unit of the scheme's currency::

    [{"from": 1, "to": 10, "amount": 1500}, {"from": 11, "to": None, "amount": 1200}]

Schemes (quantity q, the bracket q falls in is "its bracket"):

* ``unit``    — q x unit_price. Takes `unit_price`, no brackets.
* ``volume``  — every unit at its bracket's amount: q x amount. (q=11 -> 11 x 1200)
* ``tier``    — each unit priced by the bracket it falls in, summed. (q=11 -> 10x1500 + 1x1200)
* ``package`` — its bracket's amount is a flat price for any quantity within that bracket.
                (q=1..10 -> 1500, q>=11 -> 1200)

Brackets must start at 1 and be contiguous (next.from == prev.to + 1); only the last may be
open-ended (``to: None``). A quantity beyond a finite last bracket is refused with
``quantity_above_maximum``. Arguments a scheme does not use are refused rather than ignored,
so a misconfigured plan fails loudly instead of being priced by the wrong rule.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict, get_args

from billing.errors import CurrencyMismatch, QuantityAboveMaximum, ValidationFailed
from billing.money import Money

PricingScheme = Literal["unit", "volume", "tier", "package"]
SCHEMES: frozenset[str] = frozenset(get_args(PricingScheme))
_BRACKET_KEYS = frozenset({"from", "to", "amount"})


# "from" is a Python keyword, so the functional TypedDict syntax is required.
Bracket = TypedDict("Bracket", {"from": int, "to": int | None, "amount": int})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(message: str, index: int | None = None) -> ValidationFailed:
    details = None if index is None else {"index": index}
    return ValidationFailed(message, field="brackets", details=details)


def _check_bracket(index: int, bracket: object, is_last: bool) -> None:
    """Shape and per-bracket rules: keys, int types, from >= 1, from <= to, amount >= 0."""
    if not isinstance(bracket, Mapping):
        raise _bad(f"bracket {index} must be an object with from, to and amount", index)
    missing = sorted(_BRACKET_KEYS - bracket.keys())
    if missing:
        raise _bad(f"bracket {index} is missing {', '.join(missing)}", index)
    unknown = sorted(str(key) for key in bracket.keys() - _BRACKET_KEYS)
    if unknown:
        raise _bad(f"bracket {index} has unknown field(s) {', '.join(unknown)}", index)
    low, high, amount = bracket["from"], bracket["to"], bracket["amount"]
    if not _is_int(low) or low < 1:
        raise _bad(f"bracket {index}: from must be an integer >= 1, got {low!r}", index)
    if high is None:
        if not is_last:
            raise _bad(f"bracket {index}: only the last bracket may have no upper bound "
                       "(to: null)", index)
    elif not _is_int(high):
        raise _bad(f"bracket {index}: to must be an integer or null, got {high!r}", index)
    elif high < low:
        raise _bad(f"bracket {index}: from ({low}) is greater than to ({high})", index)
    if not _is_int(amount) or amount < 0:
        raise _bad(f"bracket {index}: amount must be an integer >= 0 in minor units, "
                   f"got {amount!r}", index)


def validate_brackets(brackets: object) -> None:
    """Raise ValidationFailed(field="brackets") unless `brackets` is a valid bracket list."""
    if isinstance(brackets, (str, bytes, Mapping)) or not isinstance(brackets, Sequence):
        raise _bad("brackets must be a list of {from, to, amount} objects")
    if not brackets:
        raise _bad("brackets must contain at least one bracket")
    last = len(brackets) - 1
    for index, bracket in enumerate(brackets):
        _check_bracket(index, bracket, index == last)
    if brackets[0]["from"] != 1:
        raise _bad(f"the first bracket must start at 1, not {brackets[0]['from']}", 0)
    for index in range(1, len(brackets)):
        expected = brackets[index - 1]["to"] + 1
        low = brackets[index]["from"]
        if low > expected:
            raise _bad(f"gap between bracket {index - 1} and {index}: quantities "
                       f"{expected}..{low - 1} are not covered", index)
        if low < expected:
            raise _bad(f"bracket {index} overlaps bracket {index - 1}: it starts at {low} "
                       f"but must start at {expected}", index)


def _check_quantity(quantity: object) -> int:
    if not _is_int(quantity):
        raise ValidationFailed(f"quantity must be an integer, got {quantity!r}", field="quantity")
    if quantity < 1:
        raise ValidationFailed(f"quantity must be at least 1, got {quantity}", field="quantity")
    return quantity


def _check_maximum(quantity: int, brackets: Sequence[Mapping]) -> None:
    maximum = brackets[-1]["to"]
    if maximum is not None and quantity > maximum:
        raise QuantityAboveMaximum(f"quantity {quantity} is above the maximum of {maximum}",
                                   field="quantity", details={"maximum": maximum})


def _bracket_for(quantity: int, brackets: Sequence[Mapping]) -> Mapping:
    for bracket in brackets:
        if bracket["to"] is None or quantity <= bracket["to"]:
            return bracket
    raise AssertionError("unreachable: quantity checked against the maximum")


def _tiered(quantity: int, brackets: Sequence[Mapping]) -> int:
    total = 0
    for bracket in brackets:
        top = quantity if bracket["to"] is None else min(quantity, bracket["to"])
        if top < bracket["from"]:
            break
        total += (top - bracket["from"] + 1) * bracket["amount"]
    return total


def _unit_price(quantity: int, unit_price: Money | None, brackets: object,
                currency: str) -> Money:
    if brackets is not None:
        raise ValidationFailed("the unit scheme takes unit_price, not brackets", field="brackets")
    if not isinstance(unit_price, Money):
        raise ValidationFailed("the unit scheme needs a unit_price", field="unit_price")
    if unit_price.currency != currency:
        raise CurrencyMismatch(f"unit_price is in {unit_price.currency}, expected {currency}",
                               field="currency")
    if unit_price.amount < 0:
        raise ValidationFailed("unit_price must not be negative", field="unit_price")
    return unit_price * quantity


def price_for(scheme: PricingScheme, quantity: int, *, unit_price: Money | None = None,
              brackets: Sequence[Mapping] | None = None, currency: str) -> Money:
    """Price of `quantity` units under `scheme`, in `currency`. Exact integer arithmetic."""
    if scheme not in SCHEMES:
        raise ValidationFailed(f"unknown pricing scheme {scheme!r}; expected one of "
                               f"{', '.join(sorted(SCHEMES))}", field="scheme")
    Money.zero(currency)  # refuses unsupported currencies with field="currency"
    quantity = _check_quantity(quantity)
    if scheme == "unit":
        return _unit_price(quantity, unit_price, brackets, currency)
    if unit_price is not None:
        raise ValidationFailed(f"the {scheme} scheme takes brackets, not unit_price",
                               field="unit_price")
    if brackets is None:
        raise ValidationFailed(f"the {scheme} scheme needs brackets", field="brackets")
    validate_brackets(brackets)
    _check_maximum(quantity, brackets)
    if scheme == "tier":
        return Money(_tiered(quantity, brackets), currency)
    bracket = _bracket_for(quantity, brackets)
    if scheme == "volume":
        return Money(quantity * bracket["amount"], currency)
    return Money(bracket["amount"], currency)  # package: flat price for the bracket
