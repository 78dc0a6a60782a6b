"""Money refuses to mix currencies with a domain error, not a bare ValueError (issue 9 item 16)."""
import pytest

from billing.errors import CurrencyMismatch, ValidationFailed
from billing.money import Money


@pytest.mark.parametrize("combine", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a < b, lambda a, b: a >= b])
def test_mixing_currencies_is_a_currency_mismatch_validation_error(combine):
    with pytest.raises(CurrencyMismatch) as refused:
        combine(Money.idr(30_000), Money(500, "USD"))
    assert isinstance(refused.value, ValidationFailed)
    assert refused.value.code == "currency_mismatch"
    assert refused.value.details == {"currencies": ["IDR", "USD"]}


def test_same_currency_still_adds_and_compares():
    assert Money(150, "USD") + Money(50, "USD") == Money(200, "USD")
    assert Money.idr(1) < Money.idr(2)
