"""A charge is computed on the integer amounts (issue 16: one per charged WhatsApp message); its
buckets and entry must be exactly what the Money operators give (the rule as written before),
for every split between granted, purchased and arrears, and a currency mismatch still raises."""
import itertools

import pytest

from billing.errors import CurrencyMismatch
from billing.money import Money
from billing.wallet import Buckets, Entry, LedgerIntent, apply_intent


def by_operators(state: Buckets, intent: LedgerIntent) -> tuple[Buckets, list[Entry]]:
    """The charge rule written with the Money operators (billing/wallet.py before issue 16)."""
    zero = Money.zero(intent.amount.currency)
    if state.total < intent.amount:
        delta, kind = Buckets(zero, zero, intent.amount), "arrears"
    else:
        from_granted = min(state.granted, intent.amount)
        delta, kind = Buckets(-from_granted, -(intent.amount - from_granted), zero), "charge"
    after = state.plus(delta)
    amount = delta.granted + delta.purchased - delta.arrears
    return after, [Entry(intent.key, kind, intent.balance, amount, delta, after, dict(intent.meta))]


@pytest.mark.parametrize("currency", ["IDR", "USD"])
def test_charge_equals_the_rule_written_with_money_operators(currency):
    amounts = [0, 1, 29, 30, 31, 650, 10 ** 12]
    for granted, purchased, arrears, price in itertools.product(amounts, repeat=4):
        state = Buckets(Money(granted, currency), Money(purchased, currency),
                        Money(arrears, currency))
        intent = LedgerIntent("charge:w", "charge", "broadcast", Money(price, currency),
                              {"wamid": "w", "category": "marketing"})
        got, want = apply_intent(state, intent), by_operators(state, intent)
        assert got == want
        assert all(type(m) is Money and type(m.amount) is int for b in (got[0], got[1][0].delta)
                   for m in (b.granted, b.purchased, b.arrears))
        assert got[1][0].meta is not intent.meta        # the entry's own copy


@pytest.mark.parametrize("bucket", ["granted", "purchased", "arrears"])
def test_charge_in_another_currency_than_a_bucket_is_refused(bucket):
    idr = {"granted": Money.idr(100), "purchased": Money.idr(100), "arrears": Money.idr(0)}
    state = Buckets(**{**idr, bucket: Money(0, "USD")})
    with pytest.raises(CurrencyMismatch):
        apply_intent(state, LedgerIntent("k", "charge", "conversation", Money.idr(30)))
