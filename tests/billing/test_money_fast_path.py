"""Money's operators build their results without re-validating (issue 16: Money arithmetic on
the webhook path); the results must be exactly what the validating constructor gives, and every
refusal must stay."""
import dataclasses

import pytest

from billing.errors import CurrencyMismatch
from billing.money import Money
from billing.wallet import Buckets

OPERATIONS = [
    ("+", lambda a, b: a + b, lambda x, y: x + y),
    ("-", lambda a, b: a - b, lambda x, y: x - y),
    ("neg", lambda a, b: -a, lambda x, y: -x),
    ("*", lambda a, b: a * 3, lambda x, y: x * 3),
    ("r*", lambda a, b: 3 * a, lambda x, y: 3 * x),
]


@pytest.mark.parametrize("currency", ["IDR", "USD", "JPY"])
@pytest.mark.parametrize("name,money_op,int_op", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_results_equal_the_validated_constructors(currency, name, money_op, int_op):
    for x, y in [(150, 50), (0, 0), (-7, 12), (10 ** 15, 10 ** 15)]:
        got = money_op(Money(x, currency), Money(y, currency))
        want = Money(int_op(x, y), currency)
        assert type(got) is Money and got == want and hash(got) == hash(want)
        assert type(got.amount) is int and got.currency == currency
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.amount = 1


def test_mixed_currencies_and_non_money_are_still_refused():
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") + Money(1, "IDR")
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") - Money(1, "IDR")
    with pytest.raises(CurrencyMismatch):
        Buckets(Money(1, "USD"), Money(1, "IDR"), Money(0, "USD")).total
    for bad in (1, 1.5, None):
        with pytest.raises(TypeError):
            Money(1) + bad
    with pytest.raises(TypeError):
        Money(1) * 1.5
    with pytest.raises(TypeError):
        Money(1) * True


def test_bad_input_to_the_constructor_is_still_refused():
    with pytest.raises(TypeError):
        Money(1.0)
    with pytest.raises(TypeError):
        Money(True)
    with pytest.raises(Exception) as refused:
        Money(1, "XYZ")
    assert getattr(refused.value, "field", None) == "currency"
