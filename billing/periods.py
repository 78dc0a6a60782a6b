"""Calendar billing periods: monthly, quarterly and yearly, in the customer's timezone.

Pure domain code: no I/O and no clock reads; every instant (`now`, `at`) is a parameter.

Design choices
--------------
* A period is calendar-based in a caller-supplied timezone (a `zoneinfo.ZoneInfo`, e.g.
  ``ZoneInfo("Asia/Jakarta")``). Month arithmetic happens on *local* wall-clock dates;
  `Period` stores the resulting instants as aware UTC datetimes (start inclusive, end exclusive).
* **Time of day is kept, not snapped to midnight.** A subscription started
  2026-01-31 14:00 WIB runs until 2026-02-28 14:00 WIB, then to 2026-03-31 14:00 WIB.
  Boundaries fall at the anchor's local wall-clock time on every period.
* **The anchor day is clamped, never drifted.** Anchored on the 31st:
  Jan 31 -> Feb 28 (Feb 29 in leap years) -> Mar 31 -> Apr 30 -> May 31. Clamping is always
  computed from the original anchor day, so a short month never pulls later periods earlier.
  Yearly from Feb 29 gives Feb 28 in common years and Feb 29 again in the next leap year.
* The anchor day is the *local* day of the anchor: 2026-01-30 17:30Z is 2026-01-31 00:30 WIB,
  so in Asia/Jakarta that subscription is anchored on the 31st.
* `period_containing` always counts whole periods from the anchor (start_n = anchor + n units),
  so it never accumulates drift. `next_period` steps from ``period.end``'s local wall time; in
  zones with DST a boundary that lands in a skipped hour is resolved by `zoneinfo` (fold=0) and
  may shift by that hour, so prefer `period_containing` there. Asia/Jakarta has no DST.
* `days_in` counts local calendar days between the local start and end dates, so a 23- or
  25-hour DST day still counts as one day.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Literal, get_args

from billing.errors import BeforeAnchor, ValidationFailed

PeriodUnit = Literal["monthly", "quarterly", "yearly"]
UNIT_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}
assert set(UNIT_MONTHS) == set(get_args(PeriodUnit))


def _require_aware(value: datetime, field: str) -> None:
    if not isinstance(value, datetime):
        raise ValidationFailed(f"{field} must be a datetime", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{field} must be timezone-aware", field=field)


def _months_for(unit: str) -> int:
    try:
        return UNIT_MONTHS[unit]
    except (KeyError, TypeError):
        allowed = ", ".join(UNIT_MONTHS)
        raise ValidationFailed(f"unknown period unit {unit!r}; expected one of {allowed}",
                               field="unit") from None


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval [start, end) of aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        object.__setattr__(self, "start", self.start.astimezone(timezone.utc))
        object.__setattr__(self, "end", self.end.astimezone(timezone.utc))
        if self.end <= self.start:
            raise ValidationFailed("period end must be after its start", field="end")

    def contains(self, at: datetime) -> bool:
        _require_aware(at, "at")
        return self.start <= at < self.end


def add_months(local_dt: datetime, months: int, anchor_day: int) -> datetime:
    """Shift `local_dt` by whole calendar months, landing on `anchor_day` clamped to month end.

    The wall-clock time of day and the tzinfo of `local_dt` are kept; its own day is ignored.
    `months` may be negative.
    """
    if isinstance(months, bool) or not isinstance(months, int):
        raise ValidationFailed("months must be an int", field="months")
    if isinstance(anchor_day, bool) or not isinstance(anchor_day, int) or not 1 <= anchor_day <= 31:
        raise ValidationFailed("anchor_day must be an int from 1 to 31", field="anchor_day")
    year, month0 = divmod(local_dt.year * 12 + (local_dt.month - 1) + months, 12)
    month = month0 + 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return local_dt.replace(year=year, month=month, day=day, fold=0)


def _nth_start(anchor_local: datetime, step: int, n: int) -> datetime:
    """Start (UTC) of the n-th period after the anchor, counted from the anchor itself."""
    return add_months(anchor_local, step * n, anchor_local.day).astimezone(timezone.utc)


def period_containing(anchor: datetime, unit: PeriodUnit, at: datetime, tz: tzinfo) -> Period:
    """The n-th period (n >= 0) counted from `anchor` that contains the instant `at`."""
    _require_aware(anchor, "anchor")
    _require_aware(at, "at")
    step = _months_for(unit)
    if at.astimezone(timezone.utc) < anchor.astimezone(timezone.utc):
        raise BeforeAnchor("at is before the anchor; no billing period contains it",
                           field="at")
    anchor_local = anchor.astimezone(tz)
    at_local = at.astimezone(tz)
    month_gap = (at_local.year - anchor_local.year) * 12 + at_local.month - anchor_local.month
    n = max(0, month_gap // step)
    # The estimate is off by at most one period either way (day / time-of-day within a month).
    while n > 0 and _nth_start(anchor_local, step, n) > at:
        n -= 1
    while _nth_start(anchor_local, step, n + 1) <= at:
        n += 1
    return Period(_nth_start(anchor_local, step, n), _nth_start(anchor_local, step, n + 1))


def next_period(period: Period, unit: PeriodUnit, anchor_day: int, tz: tzinfo) -> Period:
    """The period immediately after `period`, ending on `anchor_day` (clamped) of its month."""
    step = _months_for(unit)
    end_local = add_months(period.end.astimezone(tz), step, anchor_day)
    return Period(period.end, end_local.astimezone(timezone.utc))


def first_period(start: datetime, unit: PeriodUnit, tz: tzinfo) -> Period:
    """The first period of a subscription starting at `start`; the anchor is its local day."""
    _require_aware(start, "start")
    step = _months_for(unit)
    start_local = start.astimezone(tz)
    end_local = add_months(start_local, step, start_local.day)
    return Period(start, end_local.astimezone(timezone.utc))


def days_in(period: Period, tz: tzinfo) -> int:
    """Number of local calendar days the period spans (e.g. 28 for Jan 31 -> Feb 28)."""
    return (period.end.astimezone(tz).date() - period.start.astimezone(tz).date()).days


def local_dates(period: Period, tz: tzinfo) -> str:
    """`2027-01-31 – 2027-02-28`: the period's start and end as calendar dates in `tz` (what an
    invoice prints; the UTC dates of a period starting before 07:00 in Jakarta are a day early)."""
    return (f"{period.start.astimezone(tz).date().isoformat()} – "
            f"{period.end.astimezone(tz).date().isoformat()}")
