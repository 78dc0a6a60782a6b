from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from billing.errors import ValidationFailed
from billing.periods import (
    Period,
    add_months,
    first_period,
    next_period,
)

UTC = timezone.utc
WIB = ZoneInfo("Asia/Jakarta")  # UTC+7, no DST


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
