from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.errors import Conflict, PlanNotFound, ValidationFailed
from billing.money import Money
from billing.periods import Period
from billing.plans import PlanTerms, find_plan, shrinking_limits, validate_plan
from billing.subscriptions import (Choice, Cycle, IssueRenewal, PolicyRule, Rollover, Wait,
                                   change_direction, decide_timing, invoice_type, next_step,
                                   quote_change)

WIB = ZoneInfo("Asia/Jakarta")
LEAD, GRACE = timedelta(days=3), timedelta(days=7)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def plan(pid: str, rank: int, monthly: int, yearly: int, grant: int, users: int,
         rolls_over: bool = False) -> PlanTerms:
    return PlanTerms(pid, pid.title(), rank,
                     {"monthly": Money.idr(monthly), "quarterly": Money.idr(monthly * 3),
                      "yearly": Money.idr(yearly)},
                     Money.idr(grant), rolls_over,
                     {"users": users, "contacts": users * 100, "broadcast_quota": -1})


FREE = plan("free", 0, 0, 0, 15_000, 1)
GROWTH = plan("growth", 1, 299_000, 2_990_000, 30_000, 5)
PRO = plan("pro", 2, 599_000, 5_990_000, 60_000, 15)
IMMEDIATE_UPGRADES = (PolicyRule("immediate", direction="upgrade"),)
APRIL = Period(wib(2026, 4, 1), wib(2026, 5, 1))        # 30 days
JANUARY = Period(wib(2026, 1, 1), wib(2026, 2, 1))      # 31 days
FEBRUARY = Period(wib(2026, 2, 1), wib(2026, 3, 1))     # 28 days
FEB_LEAP = Period(wib(2028, 2, 1), wib(2028, 3, 1))     # 29 days


def test_direction_follows_plan_rank_and_period():
    assert change_direction(Choice(GROWTH, "monthly"), Choice(PRO, "monthly")) == "upgrade"
    assert change_direction(Choice(PRO, "monthly"), Choice(GROWTH, "yearly")) == "downgrade"
    assert change_direction(Choice(GROWTH, "monthly"), Choice(GROWTH, "yearly")) == "period_change"
    assert change_direction(Choice(GROWTH, "monthly"), Choice(GROWTH, "monthly")) == "same"


def test_default_policy_is_end_of_term_and_rules_match_in_order():
    up = (Choice(GROWTH, "monthly"), Choice(PRO, "monthly"))
    assert decide_timing((PolicyRule("end_of_term"),), *up) == "end_of_term"
    assert decide_timing(IMMEDIATE_UPGRADES, *up) == "immediate"
    only_to_pro = (PolicyRule("end_of_term", from_plan="free"),
                   PolicyRule("immediate", to_plan="pro"))
    assert decide_timing(only_to_pro, *up) == "immediate"
    assert decide_timing(only_to_pro, Choice(FREE, "monthly"), Choice(PRO, "monthly")) \
        == "end_of_term"


def test_immediate_is_only_honoured_for_an_upgrade_within_one_period_unit():
    everything_now = (PolicyRule("immediate"),)
    assert decide_timing(everything_now, Choice(PRO, "monthly"), Choice(GROWTH, "monthly")) \
        == "end_of_term"
    assert decide_timing(everything_now, Choice(GROWTH, "monthly"), Choice(PRO, "yearly")) \
        == "end_of_term"


def test_invoice_types():
    assert invoice_type(Choice(FREE, "monthly"), Choice(GROWTH, "monthly")) == "subscription"
    assert invoice_type(Choice(GROWTH, "monthly"), Choice(GROWTH, "monthly")) == "renewal"
    assert invoice_type(Choice(GROWTH, "monthly"), Choice(PRO, "monthly")) == "plan_change"


def test_end_of_term_quote_charges_the_full_next_period_and_lists_shrinking_limits():
    q = quote_change(Choice(PRO, "monthly"), Choice(GROWTH, "yearly"), APRIL, 1, (),
                     {"users": 9, "contacts": 100}, wib(2026, 4, 10), WIB)
    assert (q.timing, q.direction, q.invoice_type) == ("end_of_term", "downgrade", "plan_change")
    assert q.total == Money.idr(2_990_000)
    assert q.covers == Period(wib(2026, 5, 1), wib(2027, 5, 1))
    assert q.effective_at == APRIL.end
    assert [(s.key, s.used, s.current_max, s.new_max, s.exceeded) for s in q.shrinking] == [
        ("users", 9, 15, 5, True), ("contacts", 100, 1500, 500, False)]


@pytest.mark.parametrize("period, at, expected", [
    # difference Pro - Growth = Rp300.000 a month
    (FEBRUARY, wib(2026, 2, 15, 9), 150_000),     # 14 of 28 days
    (FEB_LEAP, wib(2028, 2, 15, 9), 155_172),     # 15 of 29 days = 155.172,41…
    (APRIL, wib(2026, 4, 21), 100_000),           # 10 of 30 days
    (JANUARY, wib(2026, 1, 22), 96_774),          # 10 of 31 days = 96.774,19…
    (JANUARY, wib(2026, 1, 1), 300_000),          # the whole period
])
def test_immediate_upgrade_is_prorated_by_whole_days(period, at, expected):
    q = quote_change(Choice(GROWTH, "monthly"), Choice(PRO, "monthly"), period, 1,
                     IMMEDIATE_UPGRADES, {}, at, WIB)
    assert q.timing == "immediate" and q.effective_at is None and q.covers == period
    assert q.total == Money.idr(expected)
    assert q.lines[0].amount == q.total


def test_immediate_upgrade_rounds_half_up_once():
    # 300.000 x 7 / 31 = 67.741,93… → 67.742
    q = quote_change(Choice(GROWTH, "monthly"), Choice(PRO, "monthly"), JANUARY, 1,
                     IMMEDIATE_UPGRADES, {}, wib(2026, 1, 25), WIB)
    assert q.total == Money.idr(67_742)
    assert "7 of 31 days" in q.lines[0].description


def test_an_immediate_upgrade_that_costs_nothing_waits_for_the_end_of_the_term():
    same_price = plan("pro", 2, 299_000, 2_990_000, 60_000, 15)
    q = quote_change(Choice(GROWTH, "monthly"), Choice(same_price, "monthly"), APRIL, 1,
                     IMMEDIATE_UPGRADES, {}, wib(2026, 4, 21), WIB)
    assert (q.timing, q.total, q.effective_at) == ("end_of_term", Money.idr(299_000), APRIL.end)


def test_quote_refuses_the_current_plan():
    with pytest.raises(Conflict) as err:
        quote_change(Choice(GROWTH, "monthly"), Choice(GROWTH, "monthly"), APRIL, 1, (), {},
                     wib(2026, 4, 2), WIB)
    assert err.value.code == "plan_unchanged"


def test_an_unknown_plan_is_not_found_and_an_unknown_period_a_validation_error():
    with pytest.raises(PlanNotFound) as err:
        find_plan({"free": FREE}, "gold")
    assert (err.value.code, err.value.field) == ("plan_not_found", "plan")
    with pytest.raises(ValidationFailed) as err:
        GROWTH.price("weekly")
    assert (err.value.code, err.value.field) == ("period_not_found", "period")


def test_free_plan_must_cost_nothing():
    with pytest.raises(ValidationFailed):
        validate_plan(plan("free", 0, 1, 0, 0, 1))
    validate_plan(GROWTH)


def test_the_notice_compares_the_effective_limits_when_they_are_given():
    effective = ({"users": 29, "contacts": 1500, "broadcast_quota": -1},
                 {"users": 7, "contacts": 500, "broadcast_quota": -1})
    q = quote_change(Choice(PRO, "monthly"), Choice(GROWTH, "monthly"), APRIL, 1, (),
                     {"users": 9}, wib(2026, 4, 10), WIB, effective)
    assert [(s.key, s.used, s.current_max, s.new_max, s.exceeded) for s in q.shrinking] == [
        ("users", 9, 29, 7, True), ("contacts", 0, 1500, 500, False)]


def test_unlimited_limits_never_shrink_into_smaller_ones_unnoticed():
    assert shrinking_limits(PRO, GROWTH, {})[0].key == "users"
    assert [s.key for s in shrinking_limits(GROWTH, PRO, {})] == []


def cycle(current=GROWTH, scheduled=None, orders=None, since=None, period=APRIL) -> Cycle:
    return Cycle(Choice(current, "monthly"), period, 1,
                 Choice(scheduled, "monthly") if scheduled else None, orders or {}, since)


def step(c: Cycle, now: datetime):
    return next_step(c, now, lead=LEAD, grace=GRACE, free=FREE, tz=WIB)


def test_run_waits_until_the_renewal_lead_then_issues_the_renewal():
    assert step(cycle(), wib(2026, 4, 10)) == Wait(wib(2026, 4, 28))
    issued = step(cycle(), wib(2026, 4, 28))
    assert isinstance(issued, IssueRenewal) and issued.invoice_type == "renewal"
    assert issued.covers == Period(wib(2026, 5, 1), wib(2026, 6, 1))
    pending = cycle(orders={("growth", "monthly"): "pending"}, since=wib(2026, 4, 28))
    assert step(pending, wib(2026, 4, 29)) == Wait(wib(2026, 5, 1))
    assert step(pending, wib(2026, 5, 2)) == Wait(wib(2026, 5, 8))
    expired = cycle(orders={("growth", "monthly"): "closed"}, since=wib(2026, 4, 28))
    assert isinstance(step(expired, wib(2026, 5, 2)), IssueRenewal)


def test_paid_renewal_rolls_over_expiring_the_grant_and_granting_again():
    paid = cycle(orders={("growth", "monthly"): "paid"}, since=wib(2026, 4, 28))
    roll = step(paid, wib(2026, 5, 1))
    assert isinstance(roll, Rollover) and roll.reason == "renewed"
    assert roll.period == Period(wib(2026, 5, 1), wib(2026, 6, 1))
    assert roll.expire_old and roll.grant == Money.idr(30_000)


def test_unpaid_renewal_lapses_to_free_after_the_grace_period():
    pending = cycle(orders={("growth", "monthly"): "pending"}, since=wib(2026, 4, 28))
    assert isinstance(step(pending, wib(2026, 5, 7, 23)), Wait)
    lapse = step(pending, wib(2026, 5, 8))
    assert isinstance(lapse, Rollover) and lapse.reason == "lapsed"
    assert lapse.target.plan is FREE and lapse.grant == Money.idr(15_000)


def test_grace_counts_from_the_first_invoice_when_the_run_was_down():
    never_invoiced = cycle()
    assert isinstance(step(never_invoiced, wib(2026, 6, 1)), IssueRenewal)
    late = cycle(orders={("growth", "monthly"): "pending"}, since=wib(2026, 6, 1))
    assert step(late, wib(2026, 6, 7)) == Wait(wib(2026, 6, 8))


def test_scheduled_change_applies_when_paid_else_the_current_plan_continues_if_paid():
    both = {("pro", "monthly"): "paid", ("growth", "monthly"): "paid"}
    roll = step(cycle(scheduled=PRO, orders=both), wib(2026, 5, 1))
    assert roll.target.plan is PRO and roll.reason == "changed"
    only_current = {("pro", "monthly"): "pending", ("growth", "monthly"): "paid"}
    assert step(cycle(scheduled=PRO, orders=only_current), wib(2026, 5, 1)).target.plan is GROWTH


def test_cancel_switches_to_free_at_the_period_end_without_an_invoice():
    cancelled = cycle(scheduled=FREE)
    assert step(cancelled, wib(2026, 4, 29)) == Wait(wib(2026, 5, 1))
    roll = step(cancelled, wib(2026, 5, 1))
    assert roll.target.plan is FREE and roll.reason == "changed"


def test_free_plan_renews_by_itself_and_rolling_grants_do_not_expire():
    assert step(cycle(current=FREE), wib(2026, 4, 29)) == Wait(wib(2026, 5, 1))
    rolling = plan("free", 0, 0, 0, 15_000, 1, rolls_over=True)
    roll = step(cycle(current=rolling), wib(2026, 5, 1))
    assert isinstance(roll, Rollover) and not roll.expire_old


def test_month_end_anchor_is_clamped_through_february_of_a_leap_year():
    jan31 = Period(wib(2028, 1, 31), wib(2028, 2, 29))
    c = Cycle(Choice(FREE, "monthly"), jan31, 31, None, {})
    roll = step(c, wib(2028, 2, 29))
    assert roll.period == Period(wib(2028, 2, 29), wib(2028, 3, 31))
