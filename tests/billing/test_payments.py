from datetime import datetime, timedelta, timezone

import pytest

from billing.errors import ValidationFailed
from billing.money import Money
from billing.payments import callback_from_dict, check_amount, paid_in_time, refund_reason

GOOD = {"payment_id": "pay_1", "provider_reference": "sbx_pay_1", "status": "succeeded",
        "amount": 50_000, "currency": "IDR", "event_id": "evt_1"}
T = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def test_a_well_formed_callback_parses():
    callback = callback_from_dict(GOOD)
    assert callback.amount == Money.idr(50_000) and callback.status == "succeeded"
    assert callback.payment_id == "pay_1" and callback.event_id == "evt_1"


@pytest.mark.parametrize("change,field", [
    ({"status": "ok"}, "status"), ({"amount": 1.5}, "amount"), ({"amount": "50000"}, "amount"),
    ({"amount": -1}, "amount"), ({"amount": True}, "amount"), ({"currency": "XYZ"}, "currency"),
    ({"payment_id": ""}, "payment_id"), ({"event_id": None}, "event_id"),
    ({"provider_reference": 7}, "provider_reference"), ({"payment_id": "x" * 500}, "payment_id"),
])
def test_malformed_callbacks_name_the_field(change, field):
    with pytest.raises(ValidationFailed) as caught:
        callback_from_dict({**GOOD, **change})
    assert caught.value.field == field


def test_a_callback_must_be_an_object():
    with pytest.raises(ValidationFailed):
        callback_from_dict([GOOD])


@pytest.mark.parametrize("amount,currency", [(49_999, "IDR"), (50_001, "IDR"), (50_000, "USD")])
def test_the_amount_and_currency_must_match_the_invoice(amount, currency):
    callback = callback_from_dict({**GOOD, "amount": amount, "currency": currency})
    with pytest.raises(ValidationFailed) as caught:
        check_amount(callback, Money.idr(50_000))
    assert caught.value.code == "payment_amount_mismatch"
    check_amount(callback_from_dict(GOOD), Money.idr(50_000))


def test_money_counts_only_if_it_arrived_before_the_expiry():
    assert paid_in_time(T + timedelta(hours=24), T)
    assert not paid_in_time(T, T)
    assert not paid_in_time(T, T + timedelta(seconds=1))


def test_refund_reasons_name_the_invoice_status():
    assert refund_reason("expired") == "invoice_expired"
    assert refund_reason("pending") == "invoice_expired"
    assert refund_reason("failed") == "invoice_failed"
    assert refund_reason("cancelled") == "invoice_cancelled"
