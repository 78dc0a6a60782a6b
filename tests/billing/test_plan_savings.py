"""The saving a longer period gives against paying monthly (the portal's plans page)."""
from __future__ import annotations

from billing.money import Money
from billing.plans import PlanTerms, Saving, saving_vs_monthly

GROWTH = PlanTerms("growth", "Growth", 1, {"monthly": Money.idr(299_000),
                                           "quarterly": Money.idr(849_000),
                                           "yearly": Money.idr(2_990_000)}, Money.idr(30_000))


def test_yearly_and_quarterly_save_against_twelve_and_three_months():
    assert saving_vs_monthly(GROWTH, "yearly") == Saving(Money.idr(598_000), 17)
    assert saving_vs_monthly(GROWTH, "quarterly") == Saving(Money.idr(48_000), 5)   # 5.35 %


def test_nothing_saved_is_none():
    free = PlanTerms("free", "Free", 0, {u: Money.idr(0) for u in
                                         ("monthly", "quarterly", "yearly")}, Money.idr(15_000))
    dearer = PlanTerms("x", "X", 1, {"monthly": Money.idr(100), "yearly": Money.idr(1_200)},
                       Money.idr(0))
    no_monthly = PlanTerms("y", "Y", 1, {"yearly": Money.idr(1_000)}, Money.idr(0))
    assert saving_vs_monthly(GROWTH, "monthly") is None
    assert saving_vs_monthly(free, "yearly") is None
    assert saving_vs_monthly(dearer, "yearly") is None
    assert saving_vs_monthly(no_monthly, "yearly") is None
