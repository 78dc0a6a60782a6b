import pytest

from billing.errors import ValidationFailed
from billing.money import Money
from billing.topups import DEFAULT_LIMITS, TopupLimit, check_topup, topup_order


def rp(amount: int) -> Money:
    return Money.idr(amount)


@pytest.mark.parametrize("balance,amount", [("conversation", 10_000), ("conversation", 1_000_000),
                                            ("broadcast", 10_000), ("broadcast", 5_000_000)])
def test_amounts_on_the_limits_are_accepted(balance, amount):
    check_topup(balance, rp(amount), DEFAULT_LIMITS)


@pytest.mark.parametrize("balance,amount,code", [
    ("conversation", 9_999, "topup_below_minimum"),
    ("conversation", 1_000_001, "topup_above_maximum"),
    ("broadcast", 9_999, "topup_below_minimum"),
    ("broadcast", 5_000_001, "topup_above_maximum"),
    ("broadcast", 0, "topup_below_minimum"),
])
def test_amounts_outside_the_limits_have_stable_codes(balance, amount, code):
    with pytest.raises(ValidationFailed) as caught:
        check_topup(balance, rp(amount), DEFAULT_LIMITS)
    assert caught.value.code == code and caught.value.field == "amount"
    assert caught.value.details["minimum"]["amount"] == 10_000


def test_unknown_balance_and_foreign_currency_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        check_topup("granted", rp(50_000), DEFAULT_LIMITS)
    assert caught.value.field == "balance" and caught.value.code == "validation_error"
    with pytest.raises(ValidationFailed) as caught:
        check_topup("conversation", Money(5_000, "USD"), DEFAULT_LIMITS)
    assert caught.value.field == "amount"


def test_limits_must_be_ordered():
    with pytest.raises(ValueError):
        TopupLimit(rp(10), rp(5))


def test_a_topup_is_an_order_with_one_line_and_a_readable_package():
    order = topup_order("top_1", "conversation", rp(50_000))
    assert order.kind == "topup" and order.invoice_type == "topup"
    assert order.total == rp(50_000)
    assert order.reference == {"topup_id": "top_1", "balance": "conversation"}
    assert [(line.quantity, line.amount) for line in order.lines] == [(1, rp(50_000))]
    assert order.package.render("id", "Rp50.000") == "Top-up saldo percakapan WhatsApp Rp50.000"
    assert order.package.render("en", "IDR 50,000") == \
        "WhatsApp conversation balance top-up IDR 50,000"
    assert order.lines[0].description.render("en") == "WhatsApp conversation balance"
