"""The subscriptions feature hands out records: a subscription document and a plan order
document become frozen records and back, unchanged; documents written by earlier versions
(fields missing) still load, and a save keeps what this version does not know."""
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from billing.money import Money
from billing.periods import Period
from service.subscriptions import repository
from service.subscriptions.codec import (order_from_doc, order_to_doc, state_from_doc,
                                         state_to_doc)
from service.subscriptions.records import (AddonChangeMark, AddonCredit, Boundary, Claim, Gift,
                                           HoldingEntry, LastChange, OrderApplied,
                                           PendingChange, SubscriptionOrder, SubscriptionState)
from tests.helpers import app_services

AT = datetime(2026, 11, 21, 3, tzinfo=timezone.utc)
PERIOD = Period(AT, datetime(2026, 12, 21, 3, tzinfo=timezone.utc))
NEXT = Period(PERIOD.end, datetime(2027, 1, 21, 3, tzinfo=timezone.utc))

EVERYTHING = SubscriptionState(
    "ws_1", "growth", "monthly", AT, PERIOD, "active",
    PendingChange("change", "pro", "quarterly", "end_of_term", "end_of_term:ws_1:x:0",
                  "INV/2026/000002", AT, PERIOD.end, {"ad_users": 3}),
    Gift("growth", "reseller", "rs_1", PERIOD, AT), AT, 7, due=AT + timedelta(days=1),
    claim=Claim("host:1:ab", AT + timedelta(minutes=5)),
    boundary=Boundary(PERIOD.start, PERIOD.end, "growth", True, Money.idr(30_000)),
    last_change=LastChange("applied", AT, "immediate:ws_1:x:0", from_plan="free",
                           addon_lines=("ad_users",)),
    addons={"ad_users": HoldingEntry(2, 0, AT, 5), "ad_pack": HoldingEntry(1, None, AT, 3)},
    addon_changes={"ad_users": AddonChangeMark("addon_refund:ws_1:ad_users:2:0:r5", 0,
                                               Money.idr(4_500))},
    addon_credits=(AddonCredit("addon_refund:ws_1:ad_users:2:0:r5", "conversation",
                               Money.idr(4_500), {"addon_id": "ad_users", "rev": 5}),),
    addon_orders_applied=("ao_1", "ao_2"))

ORDER = SubscriptionOrder(
    "end_of_term:ws_1:2026-12-21T03:00:00+00:00:pro:monthly:0", "ws_1", "end_of_term", NEXT,
    "pro", "monthly", "growth", "monthly", "plan_change", Money.idr(599_000), "seed_1",
    "", ({"addon_id": "ad_users", "units": 2, "quantity": 2, "change": 0},), "paid",
    "inv_1", "INV/2026/000003", AT, paid_at=AT + timedelta(hours=1),
    applied=OrderApplied(AT + timedelta(hours=1), ("ad_users",)), outcome=None)


def test_a_subscription_survives_the_trip_to_its_document_and_back():
    assert state_from_doc(state_to_doc(EVERYTHING)) == EVERYTHING


def test_a_new_subscription_is_stored_as_earlier_versions_stored_it():
    fresh = SubscriptionState("ws_1", "free", "monthly", AT, PERIOD, "active", None, None, AT,
                              None)
    assert state_to_doc(fresh) == {
        "_id": "ws_1", "plan": "free", "period": "monthly", "anchor": AT,
        "current_period_start": PERIOD.start, "current_period_end": PERIOD.end,
        "status": "active", "scheduled_change": None, "complimentary": None, "created_at": AT}


def test_a_subscription_written_by_an_earlier_version_loads_and_keeps_what_it_had():
    old = {"_id": "ws_1", "plan": "growth", "period": "monthly", "anchor": AT,
           "current_period_start": PERIOD.start, "current_period_end": PERIOD.end,
           "status": "active", "created_at": AT, "cancel_reason": "kept as it is",
           "scheduled_change": {"kind": "change", "plan": "pro", "period": "monthly",
                                "timing": "end_of_term", "order_id": None,
                                "invoice_code": None, "requested_at": AT,
                                "effective_at": PERIOD.end},          # before add-ons
           "boundary": {"ended_start": PERIOD.start, "start": PERIOD.end, "plan": "growth",
                        "expire": True, "grant": 30_000, "currency": "IDR"},
           "last_change": {"order_id": "o", "outcome": "applied", "at": AT}}
    sub = state_from_doc(old)
    assert (sub.version, sub.due, sub.claim, sub.addons, sub.addon_credits) == (
        None, None, None, {}, ())
    assert sub.scheduled_change.addons is None and sub.last_change.addon_lines is None
    assert sub.complimentary is None and sub.boundary.grant == Money.idr(30_000)
    assert state_from_doc(state_to_doc(sub)) == sub
    assert state_to_doc(sub)["cancel_reason"] == "kept as it is"
    assert state_to_doc(sub)["last_change"] == old["last_change"]


def test_a_plan_order_survives_the_trip_to_its_document_and_back():
    assert order_from_doc(order_to_doc(ORDER)) == ORDER
    new = dataclasses.replace(ORDER, status="new", paid_at=None, applied=None,
                              invoice_id=None, invoice_code=None)
    assert order_from_doc(order_to_doc(new)) == new
    assert "paid" not in order_to_doc(new) and "applied" not in order_to_doc(new)


def test_a_plan_order_written_by_an_earlier_version_loads():
    doc = {k: v for k, v in order_to_doc(ORDER).items() if k not in ("detail", "addons")}
    doc["applied"] = {"at": AT}                       # before add-on lines were recorded
    order = order_from_doc(doc)
    assert (order.detail, order.addons, order.applied) == ("", (), OrderApplied(AT, None))


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EVERYTHING.plan = "pro"  # type: ignore[misc]


async def test_a_save_is_refused_on_a_stale_version_and_keeps_unknown_fields(api):
    svc = app_services(api)
    await svc.db.subscriptions.insert_one({     # as create_workspace wrote it: no version
        "_id": "ws_old", "plan": "free", "period": "monthly", "anchor": AT,
        "current_period_start": PERIOD.start, "current_period_end": PERIOD.end,
        "status": "active", "scheduled_change": None, "created_at": AT, "legacy": 1})
    read = await repository.get(svc, "ws_old")
    assert read.version is None and read.complimentary is None
    assert await repository.save(svc, dataclasses.replace(read, plan="growth"), AT)
    assert not await repository.save(svc, dataclasses.replace(read, plan="pro"), AT)
    stored = await svc.db.subscriptions.find_one({"_id": "ws_old"})
    assert (stored["plan"], stored["version"], stored["due"], stored["legacy"]) == (
        "growth", 1, {"at": AT}, 1)
    assert await repository.get(svc, "ws_old") == dataclasses.replace(
        read, plan="growth", version=1, due=AT)
