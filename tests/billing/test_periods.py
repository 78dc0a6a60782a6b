from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from billing.errors import ValidationFailed
from billing.periods import (
    Period,
    add_months,
    days_in,
    first_period,
    local_dates,
    next_period,
    period_containing,
)

UTC = timezone.utc
WIB = ZoneInfo("Asia/Jakarta")  # UTC+7, no DST
NEW_YORK = ZoneInfo("America/New_York")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_starts(periods: list[Period], tz=WIB) -> list[datetime]:
    return [p.start.astimezone(tz).replace(tzinfo=None) for p in periods]


# --- add_months -------------------------------------------------------------------------


def test_anchor_31_clamps_to_feb_28_then_returns_to_31():
    jan31 = wib(2026, 1, 31, 14, 0)
    assert add_months(jan31, 1, 31) == wib(2026, 2, 28, 14, 0)
    assert add_months(jan31, 2, 31) == wib(2026, 3, 31, 14, 0)
    assert add_months(wib(2026, 2, 28, 14, 0), 1, 31) == wib(2026, 3, 31, 14, 0)


def test_anchor_31_lands_on_feb_29_in_leap_year_2028():
    assert add_months(wib(2028, 1, 31), 1, 31) == wib(2028, 2, 29)


def test_anchor_31_clamps_to_30_day_months():
    assert add_months(wib(2026, 3, 31), 1, 31) == wib(2026, 4, 30)
    assert add_months(wib(2026, 8, 31), 1, 31) == wib(2026, 9, 30)


def test_anchor_30_clamps_in_february_and_returns_to_30():
    assert add_months(wib(2026, 1, 30), 1, 30) == wib(2026, 2, 28)
    assert add_months(wib(2026, 2, 28), 1, 30) == wib(2026, 3, 30)
    assert add_months(wib(2026, 3, 30), 1, 30) == wib(2026, 4, 30)


def test_anchor_29_is_kept_in_leap_february_and_clamped_otherwise():
    assert add_months(wib(2028, 1, 29), 1, 29) == wib(2028, 2, 29)
    assert add_months(wib(2027, 1, 29), 1, 29) == wib(2027, 2, 28)


def test_anchor_28_never_needs_clamping():
    assert add_months(wib(2026, 1, 28), 1, 28) == wib(2026, 2, 28)
    assert add_months(wib(2026, 2, 28), 1, 28) == wib(2026, 3, 28)


def test_add_months_crosses_year_end_and_accepts_negative_months():
    assert add_months(wib(2026, 11, 30, 9, 15), 3, 30) == wib(2027, 2, 28, 9, 15)
    assert add_months(wib(2026, 3, 31), -1, 31) == wib(2026, 2, 28)
    assert add_months(wib(2026, 1, 15), -1, 15) == wib(2025, 12, 15)


def test_add_months_keeps_time_of_day_and_timezone():
    result = add_months(wib(2026, 1, 31, 14, 5, 9, 123), 1, 31)
    assert result == wib(2026, 2, 28, 14, 5, 9, 123)
    assert result.tzinfo is WIB


def test_add_months_uses_anchor_day_not_the_current_day():
    # Starting from a clamped Feb 28, the anchor (31) decides where March lands.
    assert add_months(wib(2026, 2, 28), 1, 31) == wib(2026, 3, 31)
    assert add_months(wib(2026, 2, 28), 1, 28) == wib(2026, 3, 28)


@pytest.mark.parametrize("anchor_day", [0, 32, -1, True, "31"])
def test_add_months_rejects_invalid_anchor_day(anchor_day):
    with pytest.raises(ValidationFailed) as exc:
        add_months(wib(2026, 1, 1), 1, anchor_day)
    assert exc.value.field == "anchor_day"


def test_add_months_rejects_non_int_months():
    with pytest.raises(ValidationFailed) as exc:
        add_months(wib(2026, 1, 1), 1.0, 1)
    assert exc.value.field == "months"


# --- Period -----------------------------------------------------------------------------


def test_period_stores_utc_instants():
    period = Period(wib(2026, 1, 31, 14), wib(2026, 2, 28, 14))
    assert period.start == utc(2026, 1, 31, 7)
    assert period.start.tzinfo is UTC
    assert period.end.tzinfo is UTC
    assert period.end == utc(2026, 2, 28, 7)


def test_period_is_frozen():
    period = Period(utc(2026, 1, 1), utc(2026, 2, 1))
    with pytest.raises(AttributeError):
        period.start = utc(2026, 1, 2)  # type: ignore[misc]


def test_period_rejects_naive_datetimes():
    with pytest.raises(ValidationFailed) as exc:
        Period(datetime(2026, 1, 1), utc(2026, 2, 1))
    assert exc.value.field == "start"


@pytest.mark.parametrize("end", [utc(2026, 1, 1), utc(2025, 12, 31)])
def test_period_rejects_end_not_after_start(end):
    with pytest.raises(ValidationFailed) as exc:
        Period(utc(2026, 1, 1), end)
    assert exc.value.field == "end"


def test_period_contains_start_but_not_end():
    period = Period(utc(2026, 1, 1), utc(2026, 2, 1))
    assert period.contains(utc(2026, 1, 1))
    assert period.contains(utc(2026, 1, 31, 23, 59, 59))
    assert not period.contains(utc(2026, 2, 1))
    assert not period.contains(utc(2025, 12, 31, 23, 59, 59))


# --- first_period / next_period ---------------------------------------------------------


def test_first_period_keeps_local_time_of_day_of_the_start():
    period = first_period(wib(2026, 1, 31, 14, 0), "monthly", WIB)
    assert period.start == wib(2026, 1, 31, 14, 0)
    assert period.end == wib(2026, 2, 28, 14, 0)
    assert period.end == utc(2026, 2, 28, 7, 0)


def test_first_period_accepts_a_utc_start_and_anchors_on_the_local_day():
    # 2026-01-30 17:30Z is 2026-01-31 00:30 WIB: anchored on the 31st in Jakarta.
    period = first_period(utc(2026, 1, 30, 17, 30), "monthly", WIB)
    assert period.end == wib(2026, 2, 28, 0, 30)
    assert period.end == utc(2026, 2, 27, 17, 30)
    # The same instant in UTC is anchored on the 30th and ends a day later.
    assert first_period(utc(2026, 1, 30, 17, 30), "monthly", UTC).end == utc(2026, 2, 28, 17, 30)


def test_first_period_quarterly_and_yearly_lengths():
    assert first_period(wib(2026, 1, 1), "quarterly", WIB).end == wib(2026, 4, 1)
    assert first_period(wib(2026, 1, 1), "yearly", WIB).end == wib(2027, 1, 1)


def test_first_period_rejects_unknown_unit():
    with pytest.raises(ValidationFailed) as exc:
        first_period(wib(2026, 1, 1), "weekly", WIB)  # type: ignore[arg-type]
    assert exc.value.field == "unit"


def test_anchor_31_chain_over_a_year_never_drifts():
    period = first_period(wib(2026, 1, 31, 14, 0), "monthly", WIB)
    periods = [period]
    for _ in range(12):
        period = next_period(period, "monthly", 31, WIB)
        periods.append(period)
    assert local_starts(periods) == [
        datetime(2026, 1, 31, 14), datetime(2026, 2, 28, 14), datetime(2026, 3, 31, 14),
        datetime(2026, 4, 30, 14), datetime(2026, 5, 31, 14), datetime(2026, 6, 30, 14),
        datetime(2026, 7, 31, 14), datetime(2026, 8, 31, 14), datetime(2026, 9, 30, 14),
        datetime(2026, 10, 31, 14), datetime(2026, 11, 30, 14), datetime(2026, 12, 31, 14),
        datetime(2027, 1, 31, 14),
    ]
    assert all(a.end == b.start for a, b in zip(periods, periods[1:]))


def test_anchor_31_chain_through_leap_year_2028_visits_feb_29():
    period = first_period(wib(2028, 1, 31), "monthly", WIB)
    feb = next_period(period, "monthly", 31, WIB)
    assert feb.start == wib(2028, 2, 29)
    assert feb.end == wib(2028, 3, 31)


def test_quarterly_from_feb_29_keeps_the_29th_and_clamps_to_feb_28_next_year():
    period = first_period(wib(2028, 2, 29, 9, 0), "quarterly", WIB)
    periods = [period]
    for _ in range(4):
        period = next_period(period, "quarterly", 29, WIB)
        periods.append(period)
    assert local_starts(periods) == [
        datetime(2028, 2, 29, 9), datetime(2028, 5, 29, 9), datetime(2028, 8, 29, 9),
        datetime(2028, 11, 29, 9), datetime(2029, 2, 28, 9),
    ]
    assert periods[-1].end == wib(2029, 5, 29, 9, 0)


def test_quarterly_from_nov_30_clamps_in_february_then_returns_to_30():
    period = first_period(wib(2026, 11, 30), "quarterly", WIB)
    assert period.end == wib(2027, 2, 28)
    assert next_period(period, "quarterly", 30, WIB).end == wib(2027, 5, 30)


def test_yearly_from_feb_29_goes_to_feb_28_then_back_to_feb_29_in_next_leap_year():
    period = first_period(wib(2028, 2, 29), "yearly", WIB)
    assert period.end == wib(2029, 2, 28)
    ends = []
    for _ in range(3):
        period = next_period(period, "yearly", 29, WIB)
        ends.append(period.end.astimezone(WIB).date().isoformat())
    assert ends == ["2030-02-28", "2031-02-28", "2032-02-29"]


# --- period_containing ------------------------------------------------------------------


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
