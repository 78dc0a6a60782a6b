"""Validating a pricing scheme's brackets (billing.pricing.validate_brackets)."""
import pytest

from billing.errors import ValidationFailed
from billing.pricing import validate_brackets
from tests.billing.test_pricing import CAPPED, OPEN, PACKAGES


@pytest.mark.parametrize(
    "brackets",
    [
        OPEN,
        CAPPED,
        PACKAGES,
        [{"from": 1, "to": None, "amount": 0}],
        [{"from": 1, "to": 1, "amount": 5}],
        ({"from": 1, "to": 3, "amount": 5}, {"from": 4, "to": None, "amount": 4}),
    ],
)
def test_valid_brackets_pass(brackets):
    assert validate_brackets(brackets) is None


def assert_bracket_error(brackets, message: str, index: int | None = None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_brackets(brackets)
    assert exc.value.field == "brackets"
    assert exc.value.code == "validation_error"
    assert exc.value.message == message
    assert exc.value.details == (None if index is None else {"index": index})


@pytest.mark.parametrize("brackets", [None, {"from": 1, "to": None, "amount": 1}, "1-10", 5])
def test_brackets_that_are_not_a_list_are_refused(brackets):
    assert_bracket_error(brackets, "brackets must be a list of {from, to, amount} objects")


def test_empty_brackets_are_refused():
    assert_bracket_error([], "brackets must contain at least one bracket")


def test_bracket_that_is_not_an_object_is_refused():
    assert_bracket_error([OPEN[0], [11, None, 1200]],
                         "bracket 1 must be an object with from, to and amount", 1)


def test_bracket_missing_fields_is_refused():
    assert_bracket_error([{"from": 1, "to": None}], "bracket 0 is missing amount", 0)
    assert_bracket_error([{"amount": 1}], "bracket 0 is missing from, to", 0)


def test_bracket_with_unknown_field_is_refused():
    assert_bracket_error([{"from": 1, "to": None, "amount": 1, "price": 2}],
                         "bracket 0 has unknown field(s) price", 0)


@pytest.mark.parametrize("start", [2, 11])
def test_first_bracket_not_starting_at_1_is_refused(start):
    assert_bracket_error([{"from": start, "to": None, "amount": 1}],
                         f"the first bracket must start at 1, not {start}", 0)


@pytest.mark.parametrize("start", [0, -5])
def test_bracket_from_below_1_is_refused(start):
    assert_bracket_error([{"from": start, "to": None, "amount": 1}],
                         f"bracket 0: from must be an integer >= 1, got {start}", 0)


@pytest.mark.parametrize("start", [1.0, "1", True, None])
def test_bracket_from_that_is_not_an_int_is_refused(start):
    assert_bracket_error([{"from": start, "to": None, "amount": 1}],
                         f"bracket 0: from must be an integer >= 1, got {start!r}", 0)


@pytest.mark.parametrize("end", [10.0, "10", False])
def test_bracket_to_that_is_not_an_int_or_null_is_refused(end):
    assert_bracket_error([{"from": 1, "to": end, "amount": 1}],
                         f"bracket 0: to must be an integer or null, got {end!r}", 0)


def test_bracket_with_from_greater_than_to_is_refused():
    assert_bracket_error(
        [{"from": 1, "to": 10, "amount": 1}, {"from": 11, "to": 5, "amount": 1}],
        "bracket 1: from (11) is greater than to (5)", 1)


def test_gap_between_brackets_is_refused():
    assert_bracket_error(
        [{"from": 1, "to": 10, "amount": 1500}, {"from": 13, "to": None, "amount": 1200}],
        "gap between bracket 0 and 1: quantities 11..12 are not covered", 1)


def test_overlapping_brackets_are_refused():
    assert_bracket_error(
        [{"from": 1, "to": 10, "amount": 1500}, {"from": 10, "to": None, "amount": 1200}],
        "bracket 1 overlaps bracket 0: it starts at 10 but must start at 11", 1)


def test_open_ended_bracket_before_the_last_is_refused():
    assert_bracket_error(
        [{"from": 1, "to": None, "amount": 1500}, {"from": 11, "to": None, "amount": 1200}],
        "bracket 0: only the last bracket may have no upper bound (to: null)", 0)


def test_negative_amount_is_refused():
    assert_bracket_error([{"from": 1, "to": None, "amount": -1}],
                         "bracket 0: amount must be an integer >= 0 in minor units, got -1", 0)


@pytest.mark.parametrize("amount", [12.5, "1500", True, None])
def test_amount_that_is_not_an_int_is_refused(amount):
    assert_bracket_error([{"from": 1, "to": None, "amount": amount}],
                         f"bracket 0: amount must be an integer >= 0 in minor units, got {amount!r}",
                         0)


def test_later_bracket_errors_report_their_index():
    brackets = CAPPED[:2] + [{"from": 21, "to": 30, "amount": -5}]
    assert_bracket_error(brackets,
                         "bracket 2: amount must be an integer >= 0 in minor units, got -5", 2)
