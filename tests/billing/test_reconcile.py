"""billing/reconcile.py: each invariant on small literal histories (no store)."""
from datetime import datetime, timedelta, timezone

from billing import ledger_keys
from billing.money import Money
from billing.rates import RateCard
from billing.reconcile import check
from billing.reconcile_records import (AddonLine, HoldingRecord, History, InvoiceRecord,
                                       OrderRecord, PaymentRecord, Posting)

WS = "ws_1"
START = datetime(2026, 11, 21, 3, tzinfo=timezone.utc)
END = datetime(2026, 12, 21, 3, tzinfo=timezone.utc)
MID = START + timedelta(days=15)
CARDS = (RateCard(),)


def post(key: str, kind: str, amount: int, balance: str = "conversation", at=MID, order=0,
         delta=None, **meta) -> Posting:
    delta = delta or ((amount, 0, 0) if kind in ("grant", "expiry") else (0, amount, 0))
    return Posting(key, key, kind, balance, amount, delta, meta, order, at)


def seats(status: str = "paid", amount: int = 600_000, start=START) -> OrderRecord:
    line = AddonLine("ad_seat", "users", "recurring", 1, 6, Money.idr(amount))
    return OrderRecord("ao_1", "addon", status, Money.idr(amount), "inv_1", True, (line,),
                       start, END)


SEATS_PAID = dict(orders=(seats(),),
                  invoices=(InvoiceRecord("inv_1", "paid", Money.idr(600_000), "pay_1", "ao_1"),),
                  payments=(PaymentRecord("pay_1", "inv_1", "succeeded", Money.idr(600_000),
                                          True),))


def rules(*postings, **parts) -> list[str]:
    return [v.rule for v in check(History(WS, tuple(postings), rate_cards=CARDS, **parts))]


def test_a_grant_a_charge_and_an_expiry_within_the_grant_pass():
    assert rules(post(ledger_keys.grant(WS, START), "grant", 15_000, order=1),
                 post("charge:wamid.1", "charge", -30, order=2, delta=(-30, 0, 0),
                      wamid="wamid.1", category="service"),
                 post(ledger_keys.expiry(WS, START), "expiry", -14_970, order=3)) == []


def test_an_expiry_above_what_was_granted_is_reported():
    assert rules(post(ledger_keys.grant(WS, START), "grant", 15_000, order=1),
                 post(ledger_keys.expiry(WS, START), "expiry", -20_000, order=2)) == \
        ["expiry_above_grant"]


def test_a_credit_with_a_key_of_no_format_has_no_cause():
    assert rules(post("gift:ws_1", "topup", 50_000)) == ["credit_without_cause"]


def test_a_top_up_credited_for_more_than_it_was_or_before_it_was_paid():
    topup = OrderRecord("tp_1", "topup", "paid", Money.idr(50_000), "inv_1",
                        balance="conversation")
    paid = InvoiceRecord("inv_1", "paid", Money.idr(50_000), "pay_1", "tp_1")
    payment = PaymentRecord("pay_1", "inv_1", "succeeded", Money.idr(50_000), True)
    parts = dict(orders=(topup,), invoices=(paid,), payments=(payment,))
    assert rules(post("topup:tp_1", "topup", 50_000), **parts) == []
    assert rules(post("topup:tp_1", "topup", 60_000), **parts) == ["credit_not_matching_cause"]
    parts["invoices"] = (InvoiceRecord("inv_1", "pending", Money.idr(50_000), "pay_1", "tp_1"),)
    parts["orders"] = (OrderRecord("tp_1", "topup", "pending", Money.idr(50_000), "inv_1",
                                   balance="conversation"),)
    assert "credit_not_matching_cause" in rules(post("topup:tp_1", "topup", 50_000), **parts)


def test_a_consumption_credit_must_be_units_times_consumption_of_a_paid_applied_order():
    line = AddonLine("ad_pack", "conversation_credit", "one_time", 30_000, 2,
                     Money.idr(60_000))
    order = OrderRecord("ao_9", "addon", "paid", Money.idr(60_000), None, True, (line,))
    key = ledger_keys.addon_credit("ao_9", "ad_pack")
    assert rules(post(key, "addon_credit", 60_000), orders=(order,)) == \
        ["fulfilled_order_without_paid_invoice"]          # (its invoice is not in this history)
    assert "credit_not_matching_cause" in rules(post(key, "addon_credit", 90_000),
                                                orders=(order,))
    assert rules(post(ledger_keys.addon_credit("ao_x", "ad_pack"), "addon_credit", 1)) == \
        ["credit_without_cause"]


def test_credits_for_decreases_up_to_what_was_paid_pass_and_beyond_are_reported():
    one = post(ledger_keys.addon_refund(WS, "ad_seat", 6, 1, 3), "addon_credit", 250_000)
    assert "refund_above_paid" not in rules(one, orders=(seats(),))
    too_much = post(ledger_keys.addon_refund(WS, "ad_seat", 6, 1, 3), "addon_credit", 700_000)
    assert "refund_above_paid" in rules(too_much, orders=(seats(),))
    assert "refund_above_paid" in rules(one)                   # nothing paid at all


def test_two_changes_of_one_holding_revision_are_credited_twice():
    found = rules(post(ledger_keys.addon_refund(WS, "ad_seat", 6, 1, 3), "addon_credit", 250_000),
                  post(ledger_keys.addon_refund(WS, "ad_seat", 6, 2, 3), "addon_credit", 200_000),
                  **SEATS_PAID)
    assert found == ["credited_twice"]


def test_the_double_credit_race_with_request_keyed_credits_is_reported():
    race = [post(f"addon_refund:{WS}:ad_seat:seed{i}", "addon_credit", 250_000) for i in range(16)]
    found = rules(*race, orders=(seats(),))
    assert found.count("credit_without_cause") == 16 and "refund_above_paid" in found


def test_a_credit_for_an_increase_or_a_negative_holding_is_reported():
    assert rules(post(ledger_keys.addon_refund(WS, "ad_seat", 1, 6, 3), "addon_credit", 1),
                 **SEATS_PAID) == ["credit_not_matching_cause"]
    assert rules(holdings=(HoldingRecord("ad_seat", -1, None),)) == ["negative_quantity"]


def test_paid_invoices_payments_and_fulfilled_orders_must_agree():
    invoice = InvoiceRecord("inv_1", "paid", Money.idr(600_000), "pay_1", "ao_1")
    ok = PaymentRecord("pay_1", "inv_1", "succeeded", Money.idr(600_000), True)
    assert rules(orders=(seats(),), invoices=(invoice,), payments=(ok,)) == []
    pending = PaymentRecord("pay_1", "inv_1", "pending", Money.idr(600_000), True)
    assert rules(orders=(seats(),), invoices=(invoice,), payments=(pending,)) == \
        ["paid_invoice_without_payment"]
    twice = InvoiceRecord("inv_2", "paid", Money.idr(600_000), "pay_1", None)
    assert "payment_applied_twice" in rules(invoices=(invoice, twice), payments=(ok,))
    expired = InvoiceRecord("inv_1", "expired", Money.idr(600_000), "pay_1", "ao_1")
    assert rules(orders=(seats(),), invoices=(expired,)) == \
        ["fulfilled_order_without_paid_invoice"]


def test_a_charge_must_name_its_wamid_and_a_rate_card_price():
    def charge(amount, wamid="wamid.1", category="service", balance="conversation"):
        return post("charge:wamid.1", "charge", -amount, balance, delta=(-amount, 0, 0),
                    wamid=wamid, category=category)
    assert rules(charge(30)) == []
    assert rules(charge(650, category="marketing", balance="broadcast")) == []
    assert rules(charge(1)) == ["charge_mismatch"]
    assert rules(charge(30, wamid="wamid.2")) == ["charge_mismatch"]
    assert rules(charge(30, category="marketing")) == ["charge_mismatch"]


def test_an_upgrade_grant_needs_its_paid_applied_upgrade_order():
    key = ledger_keys.upgrade_grant(WS, START, "pro")
    upgrade = OrderRecord("immediate:x", "plan", "paid", Money.idr(100_000), None,
                          period_start=START, plan="pro", immediate=True)
    assert "credit_without_cause" not in rules(post(key, "grant", 15_000), orders=(upgrade,))
    assert rules(post(key, "grant", 15_000)) == ["credit_without_cause"]


def test_keys_parse_back_into_their_causes():
    assert ledger_keys.parse(ledger_keys.addon_refund(WS, "ad_1", 6, 1, 12)) == \
        ledger_keys.Cause("addon_refund", WS, addon_id="ad_1", from_quantity=6, to_quantity=1,
                          rev=12)
    assert ledger_keys.parse(ledger_keys.upgrade_grant(WS, START, "pro")) == \
        ledger_keys.Cause("upgrade_grant", WS, period_start=START.isoformat(), plan="pro")
    assert ledger_keys.parse(ledger_keys.addon_credit("immediate:ws_1:x:pro", "ad_1")) == \
        ledger_keys.Cause("addon_credit", ref="immediate:ws_1:x:pro", addon_id="ad_1")
    assert ledger_keys.parse(ledger_keys.addon_excess(WS, START, "ad_1")).period_start == \
        START.isoformat()
    assert ledger_keys.parse("refund").kind == "unknown"
