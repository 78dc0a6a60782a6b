"""One money type for all of Saldo: an integer of the currency's smallest billed unit + ISO code.

Rupiah are billed in whole rupiah (no sen); USD and most others in cents. Floats are refused,
mixing currencies is refused, and rounding happens once, half-up, through `round_half_up`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational

from billing.errors import CurrencyMismatch, ValidationFailed

# Digits of the smallest *billed* unit. IDR is billed in whole rupiah although ISO gives it 2.
BILLED_DIGITS: dict[str, int] = {"IDR": 0, "USD": 2, "SGD": 2, "EUR": 2, "MYR": 2, "JPY": 0}
SUPPORTED_CURRENCIES = frozenset(BILLED_DIGITS)


def round_half_up(value: Rational | int) -> int:
    """Round an exact fraction to the nearest integer, halves away from zero."""
    frac = Fraction(value)
    sign = -1 if frac < 0 else 1
    magnitude = abs(frac)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return sign * whole


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str = "IDR"

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money amount must be an int, got {type(self.amount).__name__}")
        if self.currency not in SUPPORTED_CURRENCIES:
            raise ValidationFailed(f"Unsupported currency {self.currency!r}", field="currency")

    @classmethod
    def _valid(cls, amount: int, currency: str) -> Money:
        """Internal: a Money from parts already known valid (an int from arithmetic on valid
        Money, the currency of a valid Money), skipping `__post_init__`'s checks. Only for
        results of the operators below (and of `billing.wallet._charge`, the same arithmetic on
        the amounts of valid Money of one currency); everything else goes through `Money(...)`."""
        money = _new(cls)
        _set_amount(money, amount)
        _set_currency(money, currency)
        return money

    @classmethod
    def zero(cls, currency: str = "IDR") -> Money:
        return cls(0, currency)

    @classmethod
    def idr(cls, amount: int) -> Money:
        return cls(amount, "IDR")

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Amounts in {self.currency} and {other.currency} cannot be "
                                   "combined", details={"currencies": [self.currency,
                                                                       other.currency]})

    def __add__(self, other: Money) -> Money:
        if other.__class__ is not Money or other.currency != self.currency:
            self._same(other)       # raises, as before (a subclass of Money is checked there)
        return Money._valid(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if other.__class__ is not Money or other.currency != self.currency:
            self._same(other)
        return Money._valid(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money._valid(-self.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int (fractions: round_half_up)")
        return Money._valid(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def to_dict(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}


# The slot descriptors a frozen dataclass's own __init__ goes through (object.__setattr__).
_new = object.__new__
_set_amount = Money.amount.__set__      # type: ignore[attr-defined]
_set_currency = Money.currency.__set__  # type: ignore[attr-defined]
