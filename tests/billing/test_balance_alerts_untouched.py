"""`alerts` skips a balance the write did not touch (the same Buckets object before and after)
and reads each level once (issue 16: the web process's CPU per webhook). What it raises is
unchanged: compared, over a grid of levels and thresholds, with the rules as they were written
before, which computed every level for both balances."""
from __future__ import annotations

from itertools import product

from billing.balance_alerts import WalletAlert, alerts
from billing.money import Money
from billing.wallet import BALANCE_KINDS, Buckets


def reference(before, after, limits) -> list[WalletAlert]:
    out = []
    for b in BALANCE_KINDS:
        old, new = before[b], after[b]
        threshold = Money(limits[b], new.net.currency)
        zero = Money.zero(new.net.currency)
        if limits[b] > 0 and old.net > threshold >= new.net:
            out.append(WalletAlert("wallet.balance_low", b, threshold))
        if old.net > zero >= new.net:
            out.append(WalletAlert("wallet.depleted", b, threshold))
        if old.arrears.is_zero() and not new.arrears.is_zero():
            out.append(WalletAlert("wallet.arrears_started", b, threshold))
        if not old.arrears.is_zero() and new.arrears.is_zero():
            out.append(WalletAlert("wallet.arrears_settled", b, threshold))
    return out


def buckets(granted: int, purchased: int, arrears: int) -> Buckets:
    return Buckets(Money.idr(granted), Money.idr(purchased), Money.idr(arrears))


LEVELS = [buckets(*parts) for parts in product((0, 2_970, 3_000, 3_030), (0, 650), (0, 30))]


def test_alerts_equal_the_rules_for_every_pair_of_levels_touched_or_not():
    for limit in (0, 3_000, 6_500):
        limits = {"conversation": limit, "broadcast": 6_500}
        for old, new in product(LEVELS, repeat=2):
            untouched = LEVELS[5]
            for touched in BALANCE_KINDS:
                other = next(b for b in BALANCE_KINDS if b != touched)
                before = {touched: old, other: untouched}
                after = {touched: new, other: untouched}      # the same object: not touched
                assert alerts(before, after, limits) == reference(before, after, limits)
            both = ({"conversation": old, "broadcast": new}, {"conversation": new, "broadcast": old})
            assert alerts(*both, limits) == reference(*both, limits)


def test_a_charge_crossing_the_threshold_still_raises_it_once():
    before = {"conversation": buckets(3_010, 0, 0), "broadcast": buckets(0, 0, 0)}
    after = {"conversation": buckets(2_980, 0, 0), "broadcast": before["broadcast"]}
    assert alerts(before, after, {"conversation": 3_000, "broadcast": 6_500}) == [
        WalletAlert("wallet.balance_low", "conversation", Money.idr(3_000))]
