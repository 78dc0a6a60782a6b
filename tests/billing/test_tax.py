"""PPN of an invoice (billing/tax.py): exclusive and inclusive prices, one half-up rounding per
invoice, exempt lines, the schedule in force at the issue time."""
from datetime import datetime, timezone
from fractions import Fraction

import pytest

from billing.errors import ValidationFailed
from billing.invoices import InvoiceLine, Order, Text
from billing.money import Money
from billing.tax import (TaxRate, TaxSchedule, TaxableLine, check_schedules, in_force,
                         invoice_tax, normal_tax_id, order_lines, tax_rate)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PPN11 = TaxRate("PPN", Fraction(11, 100))
PPN12 = TaxRate("PPN", Fraction(12, 100), Fraction(11, 12))


def schedule(inclusive=False, **rates):
    return TaxSchedule(T0, inclusive, rates or {"topup": PPN11, "plan": PPN11, "addon": PPN11})


def lines(*amounts, kind="topup", exempt=False):
    return [TaxableLine(Money.idr(a), kind, exempt) for a in amounts]


def amounts(tax):
    return (tax.subtotal.amount, tax.tax_base.amount, tax.tax.amount, tax.total.amount)


def test_exclusive_11_percent_of_a_100000_topup_is_11000():
    assert amounts(invoice_tax(lines(100_000), schedule())) == (100_000, 100_000, 11_000, 111_000)


def test_12_percent_on_a_base_of_11_12_is_11000_on_100000():
    tax = invoice_tax(lines(100_000), schedule(topup=PPN12))
    assert amounts(tax) == (100_000, 91_667, 11_000, 111_000)
    assert tax.rate_label() == "PPN 12% × 11/12"


@pytest.mark.parametrize("price, tax", [(50, 6), (45, 5), (4, 0), (5, 1), (13, 1), (14, 2)])
def test_exclusive_tax_rounds_half_up_to_whole_rupiah(price, tax):
    # 50 × 11% = 5.5 → 6; 45 → 4.95 → 5; 4 → 0.44 → 0; 5 → 0.55 → 1; 13 → 1.43; 14 → 1.54
    result = invoice_tax(lines(price), schedule())
    assert (result.tax.amount, result.total.amount) == (tax, price + tax)


def test_rounding_is_once_per_invoice_not_per_line():
    # three lines of Rp50: 5.5 each; per line 6+6+6 = 18, on the total 16.5 → 17
    assert invoice_tax(lines(50, 50, 50), schedule()).tax.amount == 17


@pytest.mark.parametrize("price", [1, 2, 99, 100, 111, 1_000, 99_999, 100_000, 123_457, 5_000_001])
def test_inclusive_subtotal_plus_tax_is_the_price_exactly(price):
    for rate in (PPN11, PPN12):
        tax = invoice_tax(lines(price), schedule(True, topup=rate))
        assert tax.subtotal + tax.tax == Money.idr(price) == tax.total


def test_inclusive_tax_is_extracted_with_one_half_up_rounding():
    # 111 incl. 11% → 100 + 11 exactly; 100 → 9.909… → 10 (subtotal 90); 6 → 0.5946 → 1
    assert amounts(invoice_tax(lines(111), schedule(True)))[::2] == (100, 11)
    assert amounts(invoice_tax(lines(100), schedule(True)))[::2] == (90, 10)
    assert invoice_tax(lines(6), schedule(True)).tax.amount == 1
    # 111.000 with 12% × 11/12 (effective 11%): 100.000 + 11.000, DPP 91.667
    assert amounts(invoice_tax(lines(111_000), schedule(True, topup=PPN12))) == \
        (100_000, 91_667, 11_000, 111_000)


def test_an_exact_half_rounds_up_when_inclusive():
    # 10% on 165 incl. → 15 exactly; 1/21 on 11 incl. → 11 × (1/21) / (22/21) = 0.5 → 1
    rate = TaxRate("PPN", Fraction(1, 10))
    assert invoice_tax(lines(165), schedule(True, topup=rate)).tax.amount == 15
    half = invoice_tax(lines(11), schedule(True, topup=TaxRate("X", Fraction(1, 21))))
    assert (half.subtotal, half.tax) == (Money.idr(10), Money.idr(1))


def test_exempt_lines_and_untaxed_kinds_count_in_the_total_but_not_the_base():
    mixed = [*lines(100_000, kind="plan"), *lines(20_000, kind="addon", exempt=True)]
    assert amounts(invoice_tax(mixed, schedule())) == (120_000, 100_000, 11_000, 131_000)
    only_plan = schedule(plan=PPN11)
    assert amounts(invoice_tax([*lines(100_000, kind="plan"), *lines(5_000, kind="addon")],
                               only_plan)) == (105_000, 100_000, 11_000, 116_000)


def test_no_tax_when_nothing_is_taxed():
    assert invoice_tax(lines(100_000), None) is None
    assert invoice_tax(lines(100_000, kind="addon", exempt=True), schedule()) is None
    assert invoice_tax(lines(100_000), schedule(plan=PPN11)) is None
    assert invoice_tax(lines(100_000), TaxSchedule(T0, False, {})) is None


def test_two_rates_on_one_invoice_are_both_shown_and_rounded_once():
    tax = invoice_tax([*lines(50, kind="plan"), *lines(50, kind="addon")],
                      schedule(plan=PPN11, addon=PPN12))
    assert tax.tax.amount == 11          # 5.5 + 5.5 = 11 exactly
    assert tax.rate_label() == "PPN 11% + PPN 12% × 11/12"


def test_usd_lines_round_to_the_cent():
    tax = invoice_tax([TaxableLine(Money(1_050, "USD"), "addon")], schedule())
    assert (tax.tax, tax.total) == (Money(116, "USD"), Money(1_166, "USD"))   # 115.5 → 116


def test_the_schedule_in_force_is_the_latest_begun():
    old = TaxSchedule(T0, False, {"topup": PPN11})
    new = TaxSchedule(datetime(2027, 1, 1, tzinfo=timezone.utc), False, {"topup": PPN12})
    assert in_force([new, old], datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)) is old
    assert in_force([new, old], datetime(2027, 1, 1, tzinfo=timezone.utc)) is new
    assert in_force([new, old], datetime(2025, 6, 1, tzinfo=timezone.utc)) is None


def test_order_lines_take_the_orders_kind_unless_a_line_names_its_own():
    price = Money.idr(1_000)
    order = Order("renewal", "renewal", Text("a", "a"), (
        InvoiceLine(Text("p", "p"), 1, price),
        InvoiceLine(Text("x", "x"), 2, price, tax_kind="addon", tax_exempt=True)))
    assert order_lines(order) == [TaxableLine(price, "plan"),
                                  TaxableLine(Money.idr(2_000), "addon", True)]
    topup = Order("topup", "topup", Text("t", "t"), (InvoiceLine(Text("t", "t"), 1, price),))
    assert order_lines(topup) == [TaxableLine(price, "topup")]


def test_rates_and_schedules_are_validated():
    assert tax_rate("PPN", (12, 100), (11, 12), "x").effective == Fraction(11, 100)
    for rate, base, field in [((11, 0), (1, 1), "x.rate"), ((101, 100), (1, 1), "x.rate"),
                              ((-1, 100), (1, 1), "x.rate"), ((11, 100), (0, 12), "x.base"),
                              ((11, 100), (13, 12), "x.base")]:
        with pytest.raises(ValidationFailed) as err:
            tax_rate("PPN", rate, base, "x")
        assert err.value.field == field
    with pytest.raises(ValidationFailed) as err:
        check_schedules([TaxSchedule(T0, False, {"wallet": PPN11})])
    assert err.value.field == "schedules.0.rates.wallet"
    with pytest.raises(ValidationFailed) as err:
        check_schedules([TaxSchedule(T0, False, {}), TaxSchedule(T0, True, {})])
    assert err.value.field == "schedules.1.effective_from"


def test_npwp_has_15_or_16_digits():
    assert normal_tax_id("01.234.567.8-901.000") == "012345678901000"
    assert normal_tax_id("0123456789012345") == "0123456789012345"
    assert normal_tax_id("") == ""
    for bad in ("12345", "01234567890123X", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤"):
        with pytest.raises(ValidationFailed):
            normal_tax_id(bad)
