"""Which period an instant falls in (period_containing); days and dates in a timezone (days_in,
local_dates)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.errors import ValidationFailed
from billing.periods import (
    Period,
    days_in,
    first_period,
    local_dates,
    next_period,
    period_containing,
)
from tests.billing.test_periods import UTC, WIB, utc, wib

NEW_YORK = ZoneInfo("America/New_York")


def test_period_containing_at_the_anchor_is_the_first_period():
    anchor = wib(2026, 1, 31, 14)
    assert period_containing(anchor, "monthly", anchor, WIB) == Period(anchor, wib(2026, 2, 28, 14))


def test_period_containing_switches_exactly_at_the_boundary():
    anchor = wib(2026, 1, 31, 14)
    before = period_containing(anchor, "monthly", wib(2026, 2, 28, 13, 59, 59), WIB)
    at_end = period_containing(anchor, "monthly", wib(2026, 2, 28, 14), WIB)
    assert before == Period(wib(2026, 1, 31, 14), wib(2026, 2, 28, 14))
    assert at_end == Period(wib(2026, 2, 28, 14), wib(2026, 3, 31, 14))


def test_period_containing_same_day_before_anchor_time_is_previous_period():
    anchor = wib(2026, 1, 31, 14)
    result = period_containing(anchor, "monthly", wib(2026, 4, 30, 13), WIB)
    assert result == Period(wib(2026, 3, 31, 14), wib(2026, 4, 30, 14))


def test_period_containing_far_in_the_future_uses_anchor_day_not_drift():
    anchor = wib(2026, 1, 31, 14)
    result = period_containing(anchor, "monthly", wib(2031, 3, 15), WIB)
    assert result == Period(wib(2031, 2, 28, 14), wib(2031, 3, 31, 14))


def test_period_containing_agrees_with_chained_next_period_for_two_years():
    anchor = wib(2026, 1, 31, 14)
    period = first_period(anchor, "monthly", WIB)
    for _ in range(24):
        probe = period.start + (period.end - period.start) / 2
        assert period_containing(anchor, "monthly", probe, WIB) == period
        assert period_containing(anchor, "monthly", period.start, WIB) == period
        assert period_containing(anchor, "monthly", period.end - timedelta(microseconds=1),
                                 WIB) == period
        period = next_period(period, "monthly", 31, WIB)


def test_jakarta_day_boundary_utc_evening_is_next_local_day():
    # 2026-01-31 17:30Z is 2026-02-01 00:30 WIB: it falls in the *February* period.
    anchor = wib(2026, 1, 1)
    result = period_containing(anchor, "monthly", utc(2026, 1, 31, 17, 30), WIB)
    assert result == Period(wib(2026, 2, 1), wib(2026, 3, 1))
    assert result.start == utc(2026, 1, 31, 17, 0)
    # One hour earlier (23:30 WIB on Jan 31) is still January.
    earlier = period_containing(anchor, "monthly", utc(2026, 1, 31, 16, 30), WIB)
    assert earlier == Period(wib(2026, 1, 1), wib(2026, 2, 1))


def test_jakarta_anchor_given_in_utc_uses_the_local_day():
    # Started 2026-01-31 17:30Z = 2026-02-01 00:30 WIB: anchored on the 1st locally.
    anchor = utc(2026, 1, 31, 17, 30)
    result = period_containing(anchor, "monthly", wib(2026, 3, 10), WIB)
    assert result == Period(wib(2026, 3, 1, 0, 30), wib(2026, 4, 1, 0, 30))


def test_period_containing_quarterly_and_yearly():
    anchor = wib(2028, 2, 29)
    assert period_containing(anchor, "quarterly", wib(2029, 3, 1), WIB) == Period(
        wib(2029, 2, 28), wib(2029, 5, 29))
    assert period_containing(anchor, "yearly", wib(2030, 6, 1), WIB) == Period(
        wib(2030, 2, 28), wib(2031, 2, 28))
    assert period_containing(anchor, "yearly", wib(2032, 2, 29), WIB) == Period(
        wib(2032, 2, 29), wib(2033, 2, 28))


def test_period_containing_rejects_instant_before_anchor():
    with pytest.raises(ValidationFailed) as exc:
        period_containing(wib(2026, 1, 31), "monthly", wib(2026, 1, 30, 23, 59), WIB)
    assert exc.value.field == "at"
    assert exc.value.code == "before_anchor"


def test_period_containing_rejects_naive_at():
    with pytest.raises(ValidationFailed) as exc:
        period_containing(wib(2026, 1, 1), "monthly", datetime(2026, 2, 1), WIB)
    assert exc.value.field == "at"


def test_period_containing_rejects_unknown_unit():
    with pytest.raises(ValidationFailed) as exc:
        period_containing(wib(2026, 1, 1), "daily", wib(2026, 2, 1), WIB)  # type: ignore[arg-type]
    assert exc.value.field == "unit"


# --- days_in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (wib(2026, 2, 1), wib(2026, 3, 1), 28),
        (wib(2028, 2, 1), wib(2028, 3, 1), 29),
        (wib(2026, 4, 1), wib(2026, 5, 1), 30),
        (wib(2026, 1, 1), wib(2026, 2, 1), 31),
        (wib(2026, 1, 31, 14), wib(2026, 2, 28, 14), 28),
        (wib(2026, 1, 1), wib(2026, 4, 1), 90),
        (wib(2026, 1, 1), wib(2027, 1, 1), 365),
        (wib(2028, 1, 1), wib(2029, 1, 1), 366),
    ],
)
def test_days_in_counts_local_calendar_days(start, end, days):
    assert days_in(Period(start, end), WIB) == days


def test_days_in_uses_the_given_timezone_for_day_boundaries():
    # 2026-01-01 16:00Z -> 2026-01-02 18:00Z is Jan 1 23:00 WIB -> Jan 3 01:00 WIB.
    period = Period(utc(2026, 1, 1, 16), utc(2026, 1, 2, 18))
    assert days_in(period, WIB) == 2
    assert days_in(period, UTC) == 1


def test_days_in_counts_a_dst_short_day_as_a_whole_day():
    period = first_period(datetime(2026, 3, 1, tzinfo=NEW_YORK), "monthly", NEW_YORK)
    assert period.end - period.start == timedelta(days=31, hours=-1)
    assert days_in(period, NEW_YORK) == 31


def test_local_dates_are_the_calendar_dates_in_the_timezone_not_utc():
    # 31 Jan 00:30 in Jakarta is still 30 Jan in UTC (issue 9 item 12)
    period = first_period(wib(2027, 1, 31, 0, 30), "monthly", WIB)
    assert local_dates(period, WIB) == "2027-01-31 – 2027-02-28"
    assert local_dates(period, UTC) == "2027-01-30 – 2027-02-27"
