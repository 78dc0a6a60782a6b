"""The billing run after downtime, after a crash, with claims held by other workers, and with
payments arriving in the grace period."""
from datetime import timedelta

from service.subscriptions import state as subscription_state
from tests.conftest import START
from tests.helpers import PHONE_A, PHONE_B, app_services, assert_reconciled, usage_entries
from tests.subscription_helpers import (change, invoices, pay, renew, run_due, subscription,
                                        wib)

END = wib(2026, 12, 21, 10)


async def _kinds(api, ws, key) -> list[str]:
    return sorted(e["kind"] for e in await usage_entries(api, ws, key, limit=500))


async def test_a_pass_after_downtime_catches_up_period_by_period(api):
    ws, key = await api.create_workspace([PHONE_A])
    report = await run_due(api, START + timedelta(days=100))          # 2027-03-01
    assert report["rolled_renewed"] == 3
    sub = await subscription(api, ws, key)
    assert sub["current_period"]["start"].startswith("2027-02-21T03:00:00")
    assert await _kinds(api, ws, key) == ["expiry"] * 3 + ["grant"] * 4
    again = await run_due(api, START + timedelta(days=100))
    assert again.get("claimed", 0) == 0 and await _kinds(api, ws, key) == ["expiry"] * 3 + [
        "grant"] * 4
    await assert_reconciled(api)


async def test_a_crash_after_the_period_moved_is_finished_by_the_next_pass(api, monkeypatch):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    real_post = svc.ledger.post

    async def crash(*args, **kwargs):
        raise RuntimeError("killed")
    monkeypatch.setattr(svc.ledger, "post", crash)
    report = await run_due(api, END)
    assert report["errors"] == 1
    doc = await svc.db.subscriptions.find_one({"_id": ws})
    assert doc["boundary"]["start"] == END and doc["claim"] is None
    monkeypatch.setattr(svc.ledger, "post", real_post)
    await run_due(api, END)
    assert (await svc.db.subscriptions.find_one({"_id": ws})).get("boundary") is None
    assert await _kinds(api, ws, key) == ["expiry", "grant", "grant"]
    assert await api.amounts(ws, key) == {"conversation": (15_000, 0, 0), "broadcast": (0, 0, 0)}
    await assert_reconciled(api)


async def test_a_live_claim_is_left_alone_and_an_expired_one_is_taken_over(api):
    ws, key = await api.create_workspace([PHONE_A])
    db = app_services(api).db
    await db.subscriptions.update_one({"_id": ws}, {"$set": {"claim": {
        "by": "other-worker", "until": END + timedelta(minutes=5)}}})
    report = await run_due(api, END)
    assert report["skipped"] == 1 and report.get("claimed", 0) == 0
    assert (await subscription(api, ws, key))["current_period"]["start"].startswith("2026-11")
    report = await run_due(api, END + timedelta(minutes=5))      # the lease ran out
    assert report["claimed"] == 1 and report["rolled_renewed"] == 1


async def test_a_claim_left_by_a_dead_worker_does_not_take_another_subscriptions_place(api):
    # NX-27017 once answered the claim of the first due subscription with the one whose lease
    # had run out: that one was processed twice over, the first one not at all.
    first, first_key = await api.create_workspace([PHONE_A])
    second, second_key = await api.create_workspace([PHONE_B])
    db = app_services(api).db
    await db.subscriptions.update_one({"_id": first}, {"$set": {   # stored first, due last
        "due": {"at": START + timedelta(days=1)},
        "claim": {"by": "dead-worker", "until": END - timedelta(minutes=1)}}})
    await db.subscriptions.update_one({"_id": second}, {"$set": {"due": {"at": START}}})
    report = await run_due(api, END)
    assert (report["claimed"], report["rolled_renewed"], report.get("skipped", 0)) == (2, 2, 0)
    for ws, key in ((first, first_key), (second, second_key)):
        assert (await subscription(api, ws, key))["current_period"]["start"].startswith(
            "2026-12-21T03:00:00")
        assert (await db.subscriptions.find_one({"_id": ws}))["claim"] is None
    await assert_reconciled(api)


async def test_renewal_paid_in_grace_renews_without_a_gap(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await run_due(api, END - timedelta(days=3))                  # renewal issued, never paid
    await run_due(api, END)                                      # expired → a fresh one
    sub = await subscription(api, ws, key)
    assert sub["status"] == "past_due"
    pending = [i for i in await invoices(api, ws, key) if i["status"] == "pending"]
    assert len(pending) == 1
    api.clock.set(END + timedelta(hours=12))
    await pay(api, await renew(api, ws, key))                    # renew returns the open one
    await run_due(api, END + timedelta(hours=12))
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["status"]) == ("growth", "active")
    assert sub["current_period"]["start"].startswith("2026-12-21T03:00:00")
    assert [i["status"] for i in await invoices(api, ws, key)] == ["paid", "expired"]


async def test_an_unpaid_change_that_expires_is_dropped_and_the_plan_renews(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await change(api, ws, key, "pro")
    await run_due(api, START + timedelta(days=2))                # its invoice expired
    assert (await subscription(api, ws, key))["scheduled_change"] is None
    doc = await subscription_state.load(app_services(api), ws)
    assert doc.last_change.outcome == "expired"
    await run_due(api, END - timedelta(days=3))
    renewal = (await invoices(api, ws, key))[0]
    assert (renewal["type"], renewal["status"]) == ("renewal", "pending")
