from datetime import datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from billing.errors import ValidationFailed
from billing.money import Money
from billing.periods import Period
from billing.proration import (
    coverage,
    days_remaining,
    prorate,
    prorate_by_days,
    upgrade_difference,
)

UTC = timezone.utc
WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rp(amount: int) -> Money:
    return Money(amount, "IDR")


APRIL = Period(wib(2026, 4, 1), wib(2026, 5, 1))      # 30 days
JANUARY = Period(wib(2026, 1, 1), wib(2026, 2, 1))    # 31 days
FEBRUARY = Period(wib(2026, 2, 1), wib(2026, 3, 1))   # 28 days
FEB_LEAP = Period(wib(2028, 2, 1), wib(2028, 3, 1))   # 29 days
# Anchored 2026-01-31 14:00 WIB: runs to 2026-02-28 14:00 WIB, 28 billing days.
AFTERNOON = Period(wib(2026, 1, 31, 14), wib(2026, 2, 28, 14))


# --- prorate (by elapsed time) ----------------------------------------------------------


def test_prorate_10_days_left_of_30_is_exactly_a_third():
    assert prorate(rp(150_000), APRIL, wib(2026, 4, 21)) == rp(50_000)


def test_prorate_10_days_left_of_31():
    assert prorate(rp(310_000), JANUARY, wib(2026, 1, 22)) == rp(100_000)
    # 1_500_000 / 31 = 48387.09... rounds down
    assert prorate(rp(150_000), JANUARY, wib(2026, 1, 22)) == rp(48_387)


def test_prorate_on_a_28_day_month():
    assert prorate(rp(150_000), FEBRUARY, wib(2026, 2, 15)) == rp(75_000)
    # 150_000 * 10 / 28 = 53571.43 -> 53571 ; 150_000 * 11 / 28 = 58928.57 -> 58929
    assert prorate(rp(150_000), FEBRUARY, wib(2026, 2, 19)) == rp(53_571)
    assert prorate(rp(150_000), FEBRUARY, wib(2026, 2, 18)) == rp(58_929)


def test_prorate_on_leap_february_uses_29_days():
    # 145_000 * 10 / 29 = 50_000 exactly
    assert prorate(rp(145_000), FEB_LEAP, wib(2028, 2, 20)) == rp(50_000)


def test_prorate_rounds_an_exact_half_up():
    # 149_999 * 15 / 30 = 74_999.5 -> 75_000
    assert prorate(rp(149_999), APRIL, wib(2026, 4, 16)) == rp(75_000)
    # 150_002 * 7 / 28 = 37_500.5 -> 37_501
    assert prorate(rp(150_002), FEBRUARY, wib(2026, 2, 22)) == rp(37_501)


def test_prorate_rounds_a_negative_half_away_from_zero():
    assert prorate(rp(-149_999), APRIL, wib(2026, 4, 16)) == rp(-75_000)


def test_prorate_is_by_the_second_not_by_the_day():
    # April has 720 hours: one hour of Rp720.000 is Rp1.000.
    assert prorate(rp(720_000), APRIL, wib(2026, 4, 30, 23)) == rp(1_000)
    # April has 2_592_000 seconds: one second of Rp2.592.000 is Rp1.
    assert prorate(rp(2_592_000), APRIL, wib(2026, 4, 30, 23, 59, 59)) == rp(1)
    # Starting at noon instead of midnight of Apr 21 leaves 9.5 days, not 10.
    assert prorate(rp(150_000), APRIL, wib(2026, 4, 21, 12)) == rp(47_500)


def test_prorate_keeps_the_currency():
    # 2999 cents * 1/2 = 1499.5 -> 1500 cents
    assert prorate(Money(2_999, "USD"), APRIL, wib(2026, 4, 16)) == Money(1_500, "USD")


def test_prorate_over_an_explicit_window_inside_the_period():
    assert prorate(rp(150_000), APRIL, wib(2026, 4, 11), wib(2026, 4, 21)) == rp(50_000)


def test_prorate_start_before_period_is_clamped_to_full_price():
    assert prorate(rp(150_000), APRIL, wib(2026, 3, 1)) == rp(150_000)
    assert prorate(rp(150_000), APRIL, APRIL.start) == rp(150_000)


def test_prorate_end_after_period_is_clamped_to_period_end():
    assert prorate(rp(150_000), APRIL, wib(2026, 4, 21), wib(2026, 6, 1)) == rp(50_000)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (wib(2026, 4, 21), wib(2026, 4, 21)),   # empty window
        (wib(2026, 4, 21), wib(2026, 4, 11)),   # inverted window
        (wib(2026, 5, 1), None),                # starts at period end
        (wib(2026, 6, 1), None),                # starts after the period
        (wib(2026, 3, 1), wib(2026, 3, 15)),    # window entirely before the period
    ],
)
def test_prorate_empty_or_outside_window_is_zero(start, end):
    assert prorate(rp(150_000), APRIL, start, end) == rp(0)


def test_prorate_treats_equal_instants_in_any_timezone_the_same():
    # 2026-04-20 17:00Z is 2026-04-21 00:00 WIB.
    assert prorate(rp(150_000), APRIL, utc(2026, 4, 20, 17)) == rp(50_000)


def test_coverage_is_an_exact_fraction():
    assert coverage(APRIL, wib(2026, 4, 21)) == Fraction(1, 3)
    assert coverage(JANUARY, wib(2026, 1, 22)) == Fraction(10, 31)
    assert coverage(APRIL, wib(2026, 6, 1)) == 0


def test_prorate_rejects_naive_start_and_end():
    with pytest.raises(ValidationFailed) as exc:
        prorate(rp(150_000), APRIL, datetime(2026, 4, 21))
    assert exc.value.field == "start"
    with pytest.raises(ValidationFailed) as exc:
        prorate(rp(150_000), APRIL, wib(2026, 4, 21), datetime(2026, 4, 25))
    assert exc.value.field == "end"


# --- days_remaining / prorate_by_days ---------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (wib(2026, 4, 1), 30),
        (wib(2026, 4, 21, 0, 0), 10),
        (wib(2026, 4, 21, 10, 0), 10),
        (wib(2026, 4, 21, 23, 59, 59), 10),
        (wib(2026, 4, 22), 9),
        (wib(2026, 4, 30, 23, 59, 59), 1),
        (wib(2026, 5, 1), 0),
        (wib(2026, 3, 15), 30),
    ],
)
def test_days_remaining_counts_today_for_a_midnight_period(at, expected):
    assert days_remaining(APRIL, at, WIB) == expected


def test_days_remaining_uses_the_jakarta_day_boundary():
    # 2026-04-20 17:30Z is 2026-04-21 00:30 WIB -> 10 days; 16:30Z is Apr 20 23:30 WIB -> 11.
    assert days_remaining(APRIL, utc(2026, 4, 20, 17, 30), WIB) == 10
    assert days_remaining(APRIL, utc(2026, 4, 20, 16, 30), WIB) == 11


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (wib(2026, 1, 31, 14), 28),
        (wib(2026, 1, 31, 23), 28),
        (wib(2026, 2, 1, 13, 59), 28),    # still the billing day that began Jan 31 14:00
        (wib(2026, 2, 1, 14), 27),
        (wib(2026, 2, 19, 10), 10),
        (wib(2026, 2, 19, 14), 9),
        (wib(2026, 2, 28, 13, 59), 1),
        (wib(2026, 2, 28, 14), 0),
    ],
)
def test_days_remaining_billing_days_start_at_the_anchor_time_of_day(at, expected):
    assert days_remaining(AFTERNOON, at, WIB) == expected


def test_prorate_by_days_10_days_left_of_30():
    assert prorate_by_days(rp(150_000), APRIL, wib(2026, 4, 21, 15, 45), WIB) == rp(50_000)


def test_prorate_by_days_ignores_time_of_day_within_the_day():
    morning = prorate_by_days(rp(150_000), APRIL, wib(2026, 4, 21, 0, 1), WIB)
    evening = prorate_by_days(rp(150_000), APRIL, wib(2026, 4, 21, 23, 59), WIB)
    assert morning == evening == rp(50_000)


def test_prorate_by_days_10_days_left_of_31():
    assert prorate_by_days(rp(310_000), JANUARY, wib(2026, 1, 22, 9), WIB) == rp(100_000)


def test_prorate_by_days_on_28_and_29_day_februaries():
    assert prorate_by_days(rp(150_000), FEBRUARY, wib(2026, 2, 15), WIB) == rp(75_000)
    assert prorate_by_days(rp(150_000), FEBRUARY, wib(2026, 2, 19), WIB) == rp(53_571)
    assert prorate_by_days(rp(145_000), FEB_LEAP, wib(2028, 2, 20), WIB) == rp(50_000)


def test_prorate_by_days_rounds_an_exact_half_up():
    assert prorate_by_days(rp(149_999), APRIL, wib(2026, 4, 16), WIB) == rp(75_000)
    assert prorate_by_days(rp(150_002), FEBRUARY, wib(2026, 2, 22), WIB) == rp(37_501)


def test_prorate_by_days_on_an_afternoon_anchored_period():
    assert prorate_by_days(rp(280_000), AFTERNOON, wib(2026, 2, 19, 10), WIB) == rp(100_000)
    assert prorate_by_days(rp(280_000), AFTERNOON, wib(2026, 2, 19, 15), WIB) == rp(90_000)


def test_prorate_by_days_at_start_is_full_price_and_at_end_is_zero():
    assert prorate_by_days(rp(150_000), APRIL, APRIL.start, WIB) == rp(150_000)
    assert prorate_by_days(rp(150_000), APRIL, APRIL.start - timedelta(days=3), WIB) == rp(150_000)
    assert prorate_by_days(rp(150_000), APRIL, APRIL.end, WIB) == rp(0)


def test_prorate_by_days_rejects_naive_at():
    with pytest.raises(ValidationFailed) as exc:
        prorate_by_days(rp(150_000), APRIL, datetime(2026, 4, 21), WIB)
    assert exc.value.field == "at"


# --- upgrade_difference -----------------------------------------------------------------


def test_upgrade_difference_charges_the_prorated_price_gap():
    result = upgrade_difference(rp(150_000), rp(300_000), APRIL, wib(2026, 4, 21, 11), WIB)
    assert result == rp(50_000)


def test_upgrade_difference_rounds_once_on_the_exact_difference():
    at = wib(2026, 4, 16)  # 15 of 30 days left
    # Separately rounded: 200_002/2 = 100_001 and 100_001/2 = 50_000.5 -> 50_001, gap 50_000.
    separately = prorate_by_days(rp(200_002), APRIL, at, WIB) - prorate_by_days(rp(100_001), APRIL,
                                                                              at, WIB)
    assert separately == rp(50_000)
    # Exact: (200_002 - 100_001) / 2 = 50_000.5 -> 50_001.
    assert upgrade_difference(rp(100_001), rp(200_002), APRIL, at, WIB) == rp(50_001)


def test_upgrade_difference_on_a_31_day_month():
    # (300_000 - 150_000) * 10 / 31 = 48387.09 -> 48387
    assert upgrade_difference(rp(150_000), rp(300_000), JANUARY, wib(2026, 1, 22), WIB) == rp(48_387)


def test_upgrade_difference_for_a_downgrade_is_returned_negative():
    result = upgrade_difference(rp(300_000), rp(150_000), APRIL, wib(2026, 4, 21), WIB)
    assert result == rp(-50_000)


def test_upgrade_difference_same_price_is_zero():
    assert upgrade_difference(rp(150_000), rp(150_000), APRIL, wib(2026, 4, 21), WIB) == rp(0)


def test_upgrade_difference_at_period_start_is_full_gap_and_after_end_is_zero():
    assert upgrade_difference(rp(100_000), rp(250_000), APRIL, APRIL.start, WIB) == rp(150_000)
    assert upgrade_difference(rp(100_000), rp(250_000), APRIL, wib(2026, 5, 2), WIB) == rp(0)


def test_upgrade_difference_rejects_mixed_currencies():
    with pytest.raises(ValidationFailed) as exc:
        upgrade_difference(rp(150_000), Money(2_000, "USD"), APRIL, wib(2026, 4, 21), WIB)
    assert exc.value.code == "currency_mismatch"
    assert exc.value.field == "new_price"
