"""Add-on orders are records: documents in, frozen records out, and back, in the stored schema
(older documents included); the holdings inside a subscription document are read and written
by service/addons/holdings.py only, without changing what it does not touch."""
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from billing.addons import Holding
from billing.invoices import Text
from billing.money import Money
from billing.periods import Period
from service.addons.holdings import Credit, changes, subscribed
from service.addons.records import AddonOrder, AddonOrderLine
from service.addons.repository import (AddonOrderRepository, addon_from_doc, addon_to_doc,
                                       from_doc, to_doc)
from service.subscriptions.codec import state_from_doc, state_to_doc
from tests.helpers import app_services

AT = datetime(2026, 3, 1, 3, 0, tzinfo=timezone.utc)
MONTH = Period(AT, datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc))


def _line(addon_id: str = "ad_1", amount: int = 50_000, currency: str = "IDR") -> AddonOrderLine:
    return AddonOrderLine(addon_id, "extra_users", "Extra users", "users", "recurring", 1,
                          quantity=3, change=2, units=2, amount=Money(amount, currency),
                          description=Text("Pengguna tambahan", "Extra users"))


def _order(**changed) -> AddonOrder:
    order = AddonOrder.new("ao_seed1", "ws_1", "purchase", "monthly", MONTH,
                           (_line(), _line("ad_2", 10_000)), "seed1", AT)
    return dataclasses.replace(order, **changed)


def test_an_order_survives_the_trip_to_its_document_and_back():
    order = _order(status="paid", invoice_id="inv_1", invoice_code="INV/2026/000001",
                   outcome="applied")
    assert order.amount == Money.idr(60_000) and order.currency == "IDR"
    assert from_doc(to_doc(order)) == order


def test_an_order_document_keeps_its_stored_shape():
    doc = to_doc(_order())
    assert doc["_id"] == "ao_seed1" and doc["period_start"] == AT and "outcome" not in doc
    assert doc["amount"] == {"amount": 60_000, "currency": "IDR"}
    assert doc["lines"][0] == {
        "addon_id": "ad_1", "name": "extra_users", "display_name": "Extra users",
        "type": "users", "billing": "recurring", "consumption": 1, "quantity": 3, "change": 2,
        "units": 2, "amount": {"amount": 50_000, "currency": "IDR"},
        "description": {"id": "Pengguna tambahan", "en": "Extra users"}}


def test_an_older_order_document_without_the_later_fields_loads():
    doc = {"_id": "addon_renewal:ws_1:2026-03-01T03:00:00+00:00:IDR:0", "workspace_id": "ws_1",
           "action": "renewal", "unit": "monthly", "period_start": AT, "period_end": MONTH.end,
           "lines": [{"addon_id": "ad_1", "name": "extra_users", "type": "users",
                      "billing": "recurring", "quantity": 1, "change": 0, "units": 1,
                      "amount": {"amount": 25_000},
                      "description": {"id": "Pengguna", "en": "Users"}}],
           "amount": {"amount": 25_000}, "seed": "s", "status": "pending"}
    order = from_doc(doc)
    assert (order.invoice_id, order.invoice_code, order.outcome, order.created_at) == (
        None, None, None, None)
    assert order.lines[0].display_name is None and order.lines[0].consumption is None
    assert order.amount == Money.idr(25_000) and order.is_open and order.has("ad_1")


def test_an_order_record_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _order().status = "paid"  # type: ignore[misc]


async def test_the_store_gives_back_the_order_it_was_given(api):
    orders = AddonOrderRepository(app_services(api).db)
    order = _order()
    assert await orders.insert(order) == order
    again = await orders.insert(dataclasses.replace(order, seed="other"))   # a retry: same id
    assert again == order and await orders.get(order.id) == order
    await orders.invoiced(order.id, "inv_1", "INV/2026/000001")
    paid = await orders.paid(order.id, "inv_1", "INV/2026/000001")
    assert paid == dataclasses.replace(order, status="paid", invoice_id="inv_1",
                                       invoice_code="INV/2026/000001")
    assert isinstance(paid.period_start, datetime) and paid.period_start == AT
    await orders.set_outcome(order.id, "not_applied")
    assert (await orders.get(order.id)).outcome == "not_applied"
    assert await orders.open_ids_with("ad_2", 10) == []


async def test_open_orders_and_renewals_are_found_by_addon_and_period(api):
    orders = AddonOrderRepository(app_services(api).db)
    renewal = AddonOrder.new("addon_renewal:ws_1:x:IDR:0", "ws_1", "renewal", "monthly",
                             Period(MONTH.end, MONTH.end + timedelta(days=30)),
                             (_line("ad_3"),), "s2", AT)
    await orders.insert(_order())
    await orders.insert(renewal)
    assert [o.id for o in await orders.open_with("ws_1", "ad_2")] == ["ao_seed1"]
    assert await orders.open_with("ws_2", "ad_2") == []
    assert await orders.renewals("ws_1", MONTH.end) == [renewal]
    await orders.set_status(renewal.id, "closed", if_in=("new", "pending"))
    assert (await orders.get(renewal.id)).status == "closed"
    assert await orders.open_ids_with("ad_3", 10) == []


def _subscription() -> dict:
    return {"_id": "ws_1", "plan": "growth", "period": "monthly", "version": 7,
            "current_period_start": MONTH.start, "current_period_end": MONTH.end,
            "addons": {"ad_1": {"quantity": 2, "next_quantity": None, "added_at": AT, "rev": 3},
                       "ad_2": {"quantity": 1, "next_quantity": 0, "added_at": AT, "rev": 5}},
            "addon_credits": [{"key": "k1", "balance": "conversation", "amount": 900,
                               "meta": {"addon_id": "ad_9"}}],
            "addon_changes": {"ad_2": {"key": "k0", "next_quantity": 0, "credit": None}},
            "addon_orders_applied": ["ao_a"]}


def _stored(doc: dict, new: dict) -> dict:
    """The fields `new` changes, as the subscription document stores them."""
    stored = state_to_doc(dataclasses.replace(state_from_doc(doc), **new))
    return {k: stored[k] for k in new}


def test_rewriting_the_holdings_unchanged_writes_back_what_was_stored():
    doc, later = _subscription(), AT + timedelta(days=3)
    sub = subscribed(state_from_doc(doc))
    assert sub.holdings["ad_2"] == Holding("ad_2", 1, 0) and sub.credits[0].amount == \
        Money.idr(900)
    assert _stored(doc, changes(sub, sub.holdings, later, credits=[], change=(
        "ad_2", sub.last_changes["ad_2"]), applied="ao_b")) == {
        "addons": doc["addons"], "addon_credits": doc["addon_credits"],
        "addon_changes": doc["addon_changes"], "addon_orders_applied": ["ao_a", "ao_b"]}


def test_a_changed_holding_takes_the_next_version_and_a_credit_is_added_to_those_owed():
    doc, later = _subscription(), AT + timedelta(days=3)
    sub = subscribed(state_from_doc(doc))
    new = changes(sub, {**sub.holdings, "ad_1": Holding("ad_1", 1), "ad_3": Holding("ad_3", 1)},
                  later, credits=[Credit("k2", Money.idr(500), {"addon_id": "ad_1"})])
    stored = _stored(doc, new)
    assert stored["addons"]["ad_1"] == {"quantity": 1, "next_quantity": None, "added_at": AT,
                                        "rev": 8}
    assert stored["addons"]["ad_3"]["added_at"] == later and stored["addons"]["ad_2"]["rev"] == 5
    assert [c["key"] for c in stored["addon_credits"]] == ["k1", "k2"]
    assert "addon_changes" not in new and "addon_orders_applied" not in new


def test_a_catalog_addon_survives_the_trip_to_its_document_and_back():
    doc = {"_id": "ad_1", "name": "extra_users", "display_name": "Extra users",
           "description": None, "type": "users", "consumption": None,
           "applicable_plans": "all", "billing": "recurring", "pricing_scheme": "flat",
           "periods": {"monthly": {"currency": "IDR", "amount": 25_000}}, "entitlements": [],
           "limits": [{"key": "users", "per_unit": 1}], "allow_multiple": True,
           "max_quantity": 5, "requires": [], "incompatible_with": [], "status": "active",
           "visibility": {"resellers": "all", "direct": True}, "metadata": {},
           "created_at": AT, "updated_at": AT}
    addon = addon_from_doc(doc)                      # stored before `rev` was read: 0
    assert addon.rev == 0 and addon_to_doc(addon) == {**doc, "rev": 0}
    assert addon_from_doc(addon_to_doc(addon)) == addon
