"""Proration of a period price. Pure: no I/O, no clock reads; instants are parameters.

Two granularities, both exact until one final `round_half_up`:

* `prorate` — **by elapsed time**: price x covered / period length, both measured as absolute
  (UTC) durations. Durations are taken in microseconds, datetime's native resolution, so for
  whole-second inputs this is exactly the per-second ratio and nothing is truncated before the
  single rounding. Used for mid-period starts/cancellations where the exact instant matters.
* `prorate_by_days` / `upgrade_difference` — **by whole local days**, for immediate plan
  upgrades ("prorated to the day"). A *billing day* starts at the period's local time of day
  (see billing.periods: periods keep the anchor's time of day), so for a midnight-anchored
  period billing days are exactly local calendar days. "Today" is the billing day containing
  `at` and counts as remaining: at the period start the whole price is due, one second before
  the end one day is due. Remaining days / `days_in(period, tz)` is the fraction.

Clamping: a start before the period is treated as the period start, an end after it as the
period end, and an empty or inverted window is worth zero.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from fractions import Fraction

from billing.errors import CurrencyMismatch, ValidationFailed
from billing.money import Money, round_half_up
from billing.periods import Period, days_in

_MICROSECOND = timedelta(microseconds=1)


def _utc(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationFailed(f"{field} must be a datetime", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{field} must be timezone-aware", field=field)
    return value.astimezone(timezone.utc)


def _scaled(price: Money, fraction: Fraction) -> Money:
    return Money(round_half_up(fraction * price.amount), price.currency)


def coverage(period: Period, start: datetime, end: datetime | None = None) -> Fraction:
    """Exact fraction of `period` covered by [start, end or period.end), clamped to [0, 1]."""
    lo = max(_utc(start, "start"), period.start)
    hi = period.end if end is None else min(_utc(end, "end"), period.end)
    if lo >= hi:
        return Fraction(0)
    return Fraction((hi - lo) // _MICROSECOND, (period.end - period.start) // _MICROSECOND)


def prorate(price: Money, period: Period, start: datetime, end: datetime | None = None) -> Money:
    """`price` scaled by the share of `period` covered by [start, end), by elapsed time."""
    return _scaled(price, coverage(period, start, end))


def days_remaining(period: Period, at: datetime, tz: tzinfo) -> int:
    """Whole billing days left in `period` at `at`, counting the day containing `at`.

    Returns days_in(period, tz) at or before the start and 0 at or after the end.
    """
    at_utc = _utc(at, "at")
    total = days_in(period, tz)
    if at_utc <= period.start:
        return total
    if at_utc >= period.end:
        return 0
    start_local = period.start.astimezone(tz)
    at_local = at_utc.astimezone(tz)
    elapsed = (at_local.date() - start_local.date()).days
    day_boundary = datetime.combine(at_local.date(), start_local.timetz())
    if at_utc < day_boundary.astimezone(timezone.utc):
        elapsed -= 1  # still in the billing day that began at this time yesterday
    return max(1, min(total, total - elapsed))


def prorate_by_days(price: Money, period: Period, at: datetime, tz: tzinfo) -> Money:
    """`price` x (days remaining including today) / (days in period), rounded once."""
    return _scaled(price, Fraction(days_remaining(period, at, tz), days_in(period, tz)))


def upgrade_difference(old_price: Money, new_price: Money, period: Period, at: datetime,
                       tz: tzinfo) -> Money:
    """Prorated new price minus prorated old price for the rest of `period`, by whole days.

    Computed on the exact difference and rounded once, so it can differ by one minor unit
    from subtracting two separately rounded prorations. Negative for a downgrade: the
    figure is returned as is and the caller decides what to do with it.
    """
    if old_price.currency != new_price.currency:
        raise CurrencyMismatch(
            f"cannot compare prices in {old_price.currency} and {new_price.currency}",
            field="new_price")
    fraction = Fraction(days_remaining(period, at, tz), days_in(period, tz))
    return _scaled(new_price - old_price, fraction)
