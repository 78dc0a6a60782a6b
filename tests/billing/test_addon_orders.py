"""What add-on orders cost, pure: schemes at bracket edges, proration on 28/30/31-day months
and quarterly/yearly periods (exact amounts), quantity changes, renewals, the boundary."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from billing.addon_orders import (Removal, change_charge, line_parts, next_quantities,
                                  purchase_charge, renewal_charge, roll, stop_credit)
from billing.addons import AddonTerms, Holding
from billing.money import Money
from billing.periods import first_period

WIB = ZoneInfo("Asia/Jakarta")
BRACKETS = [{"from": 1, "to": 10, "amount": 1500}, {"from": 11, "to": 20, "amount": 1200},
            {"from": 21, "to": None, "amount": 1000}]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def addon(addon_id: str = "ad_a", scheme: str = "unit", billing: str = "recurring",
          plans: object = "all", **periods) -> AddonTerms:
    prices = periods or {"monthly": {"currency": "IDR", "amount": 30_000}}
    return AddonTerms.from_data({
        "id": addon_id, "name": addon_id, "type": "users", "consumption": 1,
        "applicable_plans": plans, "billing": billing, "pricing_scheme": scheme,
        "periods": prices, "max_quantity": 100})


def bracketed(scheme: str) -> AddonTerms:
    return addon(scheme=scheme, billing="one_time",
                 monthly={"currency": "USD", "brackets": BRACKETS})


NOV = first_period(wib(2026, 11, 21, 10), "monthly", WIB)          # 30 days


@pytest.mark.parametrize("scheme, quantity, cents", [
    ("volume", 1, 1500), ("volume", 10, 15_000), ("volume", 11, 13_200),
    ("volume", 20, 24_000), ("volume", 21, 21_000),
    ("tier", 10, 15_000), ("tier", 11, 16_200), ("tier", 20, 27_000), ("tier", 21, 28_000),
    ("package", 1, 1500), ("package", 10, 1500), ("package", 11, 1200), ("package", 21, 1000),
])
def test_each_scheme_at_the_bracket_edges(scheme, quantity, cents):
    charge = purchase_charge(bracketed(scheme), "monthly", quantity, NOV, wib(2026, 12, 1), WIB)
    assert charge.amount == Money(cents, "USD")     # one-time: full price, whenever bought


def test_unit_scheme_is_quantity_times_price():
    one_time = addon(billing="one_time")
    assert purchase_charge(one_time, "monthly", 3, NOV, NOV.start, WIB).amount == Money.idr(90_000)


@pytest.mark.parametrize("start, bought, price, expected", [
    # 28 days (Feb 2027): 14 of 28 days left → half
    (wib(2027, 2, 1, 10), wib(2027, 2, 15, 10), 30_000, 15_000),
    # 30 days (Nov 21 → Dec 21): 20 of 30 days left
    (wib(2026, 11, 21, 10), wib(2026, 12, 1, 10), 30_000, 20_000),
    # 31 days (Dec 21 → Jan 21): 20 of 31 days left → 19 354.8… → 19 355 (one rounding)
    (wib(2026, 12, 21, 10), wib(2027, 1, 1, 10), 30_000, 19_355),
    # the last second of a 31-day month: 30 000 / (31 × 86 400) → 0.011 → 0
    (wib(2026, 12, 21, 10), wib(2027, 1, 21, 9, 59, 59), 30_000, 0),
    # at the very start: the whole price
    (wib(2026, 12, 21, 10), wib(2026, 12, 21, 10), 30_000, 30_000),
])
def test_monthly_proration_is_by_exact_time_with_one_rounding(start, bought, price, expected):
    period = first_period(start, "monthly", WIB)
    charge = purchase_charge(addon(monthly={"currency": "IDR", "amount": price}), "monthly",
                             1, period, bought, WIB)
    assert charge.amount == Money.idr(expected)


def test_quarterly_and_yearly_proration():
    quarter = first_period(wib(2027, 1, 1), "quarterly", WIB)      # 90 days to Apr 1
    quarterly = addon(quarterly={"currency": "IDR", "amount": 90_000})
    assert purchase_charge(quarterly, "quarterly", 2, quarter, wib(2027, 3, 2), WIB).amount == \
        Money.idr(60_000)                                           # 30 of 90 days, x2
    year = first_period(wib(2027, 1, 1), "yearly", WIB)             # 365 days
    yearly = addon(yearly={"currency": "USD", "amount": 120_000})
    # 2027-07-01 → 2028-01-01 is 184 of 365 days: 120 000 x 184/365 = 60 493.15… → 60 493
    assert purchase_charge(yearly, "yearly", 1, year, wib(2027, 7, 1), WIB).amount == \
        Money(60_493, "USD")


def test_a_quantity_change_is_the_prorated_difference_of_the_scheme_prices():
    unit = addon()
    up = change_charge(unit, "monthly", 2, 5, NOV, wib(2026, 12, 6, 10), WIB)   # 15 of 30 days
    assert (up.amount, up.change, up.units) == (Money.idr(45_000), 3, 3)
    down = change_charge(unit, "monthly", 5, 2, NOV, wib(2026, 12, 6, 10), WIB)
    assert (down.amount, down.change, down.units) == (Money.idr(-45_000), -3, 0)
    volume = addon(scheme="volume", monthly={"currency": "USD", "brackets": BRACKETS})
    cheaper = change_charge(volume, "monthly", 10, 11, NOV, NOV.start, WIB)     # 15 000 → 13 200
    assert cheaper.amount == Money(-1800, "USD")


def test_an_increase_line_counts_the_units_added_at_their_real_unit_price():
    seat = addon(monthly={"currency": "IDR", "amount": 60_000})
    up = change_charge(seat, "monthly", 1, 3, NOV, wib(2026, 12, 6, 10), WIB)  # 15 of 30 days
    assert line_parts(up.amount, up.units) == (2, Money.idr(30_000))          # not 3 × 20 000
    assert up.description.en == \
        "Add-on ad_a × 2 (monthly) 2026-12-06 – 2026-12-21, 1 → 3"
    odd = change_charge(addon(monthly={"currency": "IDR", "amount": 49_000}), "monthly", 1, 3,
                        NOV, wib(2026, 12, 11, 10), WIB)                      # 32 666.67 → 32 667
    assert line_parts(odd.amount, odd.units) == (1, Money.idr(32_667))
    assert odd.description.en.endswith("1 → 3, prorated total")


def test_stop_credit_is_the_unused_rest():
    assert stop_credit(addon(), "monthly", 2, NOV, wib(2026, 12, 11, 10)) == Money.idr(20_000)


def test_renewal_lines_full_and_supplement():
    nxt = first_period(wib(2026, 12, 21, 10), "monthly", WIB)
    full = renewal_charge(addon(), "monthly", 3, 0, nxt, 3, WIB)
    assert (full.amount, full.units, full.quantity) == (Money.idr(90_000), 3, 3)
    more = renewal_charge(addon(), "monthly", 5, 3, nxt, 5, WIB)
    assert (more.amount, more.units) == (Money.idr(60_000), 2)
    package = addon(scheme="package", monthly={"currency": "USD", "brackets": BRACKETS})
    assert renewal_charge(package, "monthly", 5, 3, nxt, 5, WIB).amount == Money(0, "USD")


def test_next_quantities_carry_over_and_remove_what_the_plan_does_not_allow():
    growth_only = addon("ad_g", plans=["growth"])
    yearly_only = addon("ad_y", yearly={"currency": "IDR", "amount": 1})
    anywhere = addon("ad_any")
    catalog = {a.id: a for a in (growth_only, yearly_only, anywhere)}
    holdings = {"ad_g": Holding("ad_g", 2), "ad_y": Holding("ad_y", 1),
                "ad_any": Holding("ad_any", 4, 0), "ad_gone": Holding("ad_gone", 1)}
    wanted, removed = next_quantities(holdings, {"ad_any": 6}, catalog, "pro", "monthly")
    assert wanted == {"ad_any": 6}
    assert removed == [Removal("ad_g", 2, "not_applicable"),
                       Removal("ad_gone", 1, "not_in_catalog"),
                       Removal("ad_y", 1, "period_not_available")]


def test_roll_keeps_what_is_paid_and_reports_the_rest():
    catalog = {a: addon(a) for a in ("ad_paid", "ad_unpaid", "ad_stop", "ad_less")}
    catalog["ad_once"] = addon("ad_once", billing="one_time")
    holdings = {"ad_paid": Holding("ad_paid", 2), "ad_unpaid": Holding("ad_unpaid", 1),
                "ad_stop": Holding("ad_stop", 3, 0), "ad_less": Holding("ad_less", 5, 2),
                "ad_once": Holding("ad_once", 7)}
    wanted = {"ad_paid": 2, "ad_unpaid": 1, "ad_less": 2, "ad_once": 7}
    paid = {"ad_paid": 2, "ad_stop": 3, "ad_less": 5}
    rolled = roll(holdings, wanted, [], paid, catalog)
    assert rolled.holdings == {"ad_paid": Holding("ad_paid", 2),
                               "ad_less": Holding("ad_less", 2),
                               "ad_once": Holding("ad_once", 7)}
    assert sorted(rolled.removed, key=lambda r: r.addon_id) == [
        Removal("ad_stop", 3, "stopped"), Removal("ad_unpaid", 1, "unpaid")]
    assert rolled.excess == {"ad_stop": (3, 0), "ad_less": (5, 2)}
