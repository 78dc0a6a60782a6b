import pytest

from billing.errors import ValidationFailed
from billing.money import Money
from billing.pricing import price_for

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
