from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from billing.errors import CurrencyMismatch, ValidationFailed
from billing.invoices import (InvoiceLine, Order, Text, invoice_code, invoice_year, is_final,
                              number_in_window, parse_invoice_code)
from billing.money import Money

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_codes_are_zero_padded_and_parse_back():
    assert invoice_code(2026, 1) == "INV/2026/000001"
    assert invoice_code(2026, 123456) == "INV/2026/123456"
    assert invoice_code(2026, 1234567) == "INV/2026/1234567"
    assert parse_invoice_code("INV/2026/000123") == (2026, 123)
    for bad in ("INV/2026/123", "inv/2026/000123", "INV/26/000123", "INV/2026/000123.pdf", ""):
        assert parse_invoice_code(bad) is None
    with pytest.raises(ValueError):
        invoice_code(2026, 0)


def test_the_year_is_the_year_of_the_jakarta_date():
    assert invoice_year(datetime(2026, 12, 31, 16, 59, tzinfo=timezone.utc), JAKARTA) == 2026
    assert invoice_year(datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc), JAKARTA) == 2027


def test_a_number_is_found_by_its_position_among_the_recent_allocations():
    recent = ["inv_a", "inv_b", "inv_c"]   # took 8, 9, 10
    assert number_in_window(10, recent, "inv_c") == 10
    assert number_in_window(10, recent, "inv_a") == 8
    assert number_in_window(10, recent, "inv_z") is None
    assert number_in_window(0, [], "inv_a") is None


def test_an_order_totals_its_lines_and_refuses_mixed_currencies():
    lines = (InvoiceLine(Text("a", "a"), 2, Money.idr(1_500)),
             InvoiceLine(Text("b", "b"), 1, Money.idr(3_000)))
    order = Order("topup", "topup", Text("p {amount}", "p {amount}"), lines)
    assert order.total == Money.idr(6_000)
    mixed = Order("topup", "addon", Text("p", "p"),
                  (InvoiceLine(Text("a", "a"), 1, Money.idr(1)),
                   InvoiceLine(Text("b", "b"), 1, Money(1, "USD"))))
    with pytest.raises(CurrencyMismatch):
        mixed.total


def test_orders_and_lines_are_checked():
    with pytest.raises(ValueError):
        Order("topup", "gift", Text("p", "p"), (InvoiceLine(Text("a", "a"), 1, Money.idr(1)),))
    with pytest.raises(ValueError):
        Order("topup", "topup", Text("p", "p"), ())
    for quantity in (0, -1, True, 1.5):
        with pytest.raises(ValidationFailed):
            InvoiceLine(Text("a", "a"), quantity, Money.idr(1))


def test_texts_render_in_the_language_asked_for_indonesian_by_default():
    text = Text("Paket {amount}", "Package {amount}")
    assert text.render("id", "Rp1") == "Paket Rp1"
    assert text.render("en", "IDR 1") == "Package IDR 1"
    assert text.render("fr", "x") == "Paket x"


def test_only_pending_is_not_final():
    assert not is_final("pending")
    assert all(is_final(s) for s in ("paid", "expired", "cancelled", "failed"))
