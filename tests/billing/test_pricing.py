import pytest

from billing.errors import ValidationFailed
from billing.money import Money
from billing.pricing import price_for, validate_brackets

OPEN = [
    {"from": 1, "to": 10, "amount": 1500},
    {"from": 11, "to": None, "amount": 1200},
]
CAPPED = [
    {"from": 1, "to": 10, "amount": 1500},
    {"from": 11, "to": 20, "amount": 1200},
    {"from": 21, "to": 30, "amount": 1000},
]
PACKAGES = [
    {"from": 1, "to": 10, "amount": 50_000},
    {"from": 11, "to": 50, "amount": 200_000},
    {"from": 51, "to": None, "amount": 350_000},
]


def rp(amount: int) -> Money:
    return Money(amount, "IDR")


# --- unit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 1_500), (10, 15_000), (11, 16_500), (1_000, 1_500_000)],
)
def test_unit_scheme_is_quantity_times_unit_price(quantity, expected):
    assert price_for("unit", quantity, unit_price=rp(1_500), currency="IDR") == rp(expected)


def test_unit_scheme_keeps_the_currency():
    assert price_for("unit", 3, unit_price=Money(999, "USD"), currency="USD") == Money(2_997, "USD")


def test_unit_scheme_requires_unit_price():
    with pytest.raises(ValidationFailed) as exc:
        price_for("unit", 1, currency="IDR")
    assert exc.value.field == "unit_price"


def test_unit_scheme_refuses_brackets():
    with pytest.raises(ValidationFailed) as exc:
        price_for("unit", 1, unit_price=rp(1_500), brackets=OPEN, currency="IDR")
    assert exc.value.field == "brackets"


def test_unit_scheme_refuses_unit_price_in_another_currency():
    with pytest.raises(ValidationFailed) as exc:
        price_for("unit", 1, unit_price=Money(100, "USD"), currency="IDR")
    assert exc.value.field == "currency"
    assert exc.value.code == "currency_mismatch"


def test_unit_scheme_refuses_negative_unit_price():
    with pytest.raises(ValidationFailed) as exc:
        price_for("unit", 1, unit_price=rp(-1), currency="IDR")
    assert exc.value.field == "unit_price"


# --- volume -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 1_500), (10, 15_000), (11, 13_200), (1_000, 1_200_000)],
)
def test_volume_prices_all_units_at_the_bracket_of_the_total(quantity, expected):
    assert price_for("volume", quantity, brackets=OPEN, currency="IDR") == rp(expected)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(20, 24_000), (21, 21_000), (30, 30_000)],
)
def test_volume_with_a_capped_last_bracket(quantity, expected):
    assert price_for("volume", quantity, brackets=CAPPED, currency="IDR") == rp(expected)


# --- tier -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 1_500), (10, 15_000), (11, 16_200), (1_000, 15_000 + 990 * 1_200)],
)
def test_tier_prices_each_unit_by_its_own_bracket(quantity, expected):
    assert price_for("tier", quantity, brackets=OPEN, currency="IDR") == rp(expected)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(20, 27_000), (21, 28_000), (30, 37_000)],
)
def test_tier_sums_across_three_brackets(quantity, expected):
    assert price_for("tier", quantity, brackets=CAPPED, currency="IDR") == rp(expected)


def test_tier_with_a_free_first_bracket():
    free_five = [{"from": 1, "to": 5, "amount": 0}, {"from": 6, "to": None, "amount": 1_000}]
    assert price_for("tier", 5, brackets=free_five, currency="IDR") == rp(0)
    assert price_for("tier", 6, brackets=free_five, currency="IDR") == rp(1_000)
    assert price_for("tier", 100, brackets=free_five, currency="IDR") == rp(95_000)


# --- package ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 1_500), (10, 1_500), (11, 1_200), (1_000, 1_200)],
)
def test_package_charges_the_bracket_amount_flat(quantity, expected):
    assert price_for("package", quantity, brackets=OPEN, currency="IDR") == rp(expected)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 50_000), (10, 50_000), (11, 200_000), (50, 200_000), (51, 350_000),
     (10_000, 350_000)],
)
def test_package_with_growing_packages(quantity, expected):
    assert price_for("package", quantity, brackets=PACKAGES, currency="IDR") == rp(expected)


# --- shared rules -----------------------------------------------------------------------


def test_single_open_bracket_prices_like_a_unit_price():
    single = [{"from": 1, "to": None, "amount": 300}]
    assert price_for("volume", 7, brackets=single, currency="IDR") == rp(2_100)
    assert price_for("tier", 7, brackets=single, currency="IDR") == rp(2_100)
    assert price_for("package", 7, brackets=single, currency="IDR") == rp(300)


def test_bracket_amounts_are_in_the_schemes_currency():
    assert price_for("tier", 11, brackets=OPEN, currency="USD") == Money(16_200, "USD")


@pytest.mark.parametrize("scheme", ["volume", "tier", "package"])
def test_quantity_at_the_capped_maximum_is_allowed_and_above_is_refused(scheme):
    assert price_for(scheme, 30, brackets=CAPPED, currency="IDR").amount > 0
    with pytest.raises(ValidationFailed) as exc:
        price_for(scheme, 31, brackets=CAPPED, currency="IDR")
    assert exc.value.code == "quantity_above_maximum"
    assert exc.value.field == "quantity"
    assert exc.value.details == {"maximum": 30}


@pytest.mark.parametrize("scheme", ["unit", "volume", "tier", "package"])
@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_below_one_is_refused(scheme, quantity):
    kwargs = {"unit_price": rp(1_500)} if scheme == "unit" else {"brackets": OPEN}
    with pytest.raises(ValidationFailed) as exc:
        price_for(scheme, quantity, currency="IDR", **kwargs)
    assert exc.value.field == "quantity"
    assert exc.value.code == "validation_error"


@pytest.mark.parametrize("quantity", [2.0, "3", True, None])
def test_non_integer_quantity_is_refused(quantity):
    with pytest.raises(ValidationFailed) as exc:
        price_for("tier", quantity, brackets=OPEN, currency="IDR")
    assert exc.value.field == "quantity"


def test_unknown_scheme_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        price_for("flat_fee", 1, brackets=OPEN, currency="IDR")  # type: ignore[arg-type]
    assert exc.value.field == "scheme"


def test_unsupported_currency_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        price_for("tier", 1, brackets=OPEN, currency="XYZ")
    assert exc.value.field == "currency"


@pytest.mark.parametrize("scheme", ["volume", "tier", "package"])
def test_bracket_schemes_require_brackets(scheme):
    with pytest.raises(ValidationFailed) as exc:
        price_for(scheme, 1, currency="IDR")
    assert exc.value.field == "brackets"


@pytest.mark.parametrize("scheme", ["volume", "tier", "package"])
def test_bracket_schemes_refuse_unit_price(scheme):
    with pytest.raises(ValidationFailed) as exc:
        price_for(scheme, 1, unit_price=rp(1_500), brackets=OPEN, currency="IDR")
    assert exc.value.field == "unit_price"


def test_price_for_validates_brackets():
    gap = [{"from": 1, "to": 10, "amount": 1500}, {"from": 12, "to": None, "amount": 1200}]
    with pytest.raises(ValidationFailed) as exc:
        price_for("tier", 1, brackets=gap, currency="IDR")
    assert exc.value.field == "brackets"


# --- validate_brackets ------------------------------------------------------------------


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
