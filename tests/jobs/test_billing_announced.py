"""A renewal compares the limits with those its subscription's `announced` mark records when the
versions prove nothing else wrote it since the last pass (service/subscriptions/releases.py):
no read of `events`; otherwise with the last `entitlements.changed`, as before (bill19)."""
import dataclasses
from datetime import timedelta

from jobs.run import running_services
from service.events.emit import emit
from service.subscriptions import billing_run, state
from tests.conftest import START
from tests.handlers.test_store_commands import CommandCounter
from tests.jobs.test_billing_commands import due_in_30_days

SECOND = START + timedelta(days=61, minutes=1)      # past the second period's end


async def _two_renewals(settings, clock, between=None) -> tuple[dict, list[dict]]:
    """One Free workspace renewed twice (`between(svc, ws)` after the first); → the second
    pass's commands and the workspace's entitlements.changed events, oldest first."""
    counter = CommandCounter()
    async with running_services(dataclasses.replace(settings, event_listeners=(counter,)),
                                clock) as svc:
        await due_in_30_days(svc, clock, "M", each=1)
        await svc.db.subscriptions.delete_many({"plan": {"$ne": "free"}})
        ws = (await svc.db.subscriptions.find_one({}))["_id"]
        first = await billing_run.run_pass(svc, clock.now(), "w")
        if between is not None:
            await between(svc, ws)
        clock.set(SECOND)
        second, counts = await counter.measure(billing_run.run_pass(svc, SECOND, "w"))
        events = await svc.db.events.find({"type": "entitlements.changed"}).sort(
            "order", 1).to_list(None)
    assert (first["rolled_renewed"], second["rolled_renewed"]) == (1, 1)
    return counts, events


async def test_a_renewal_after_a_pass_alone_reads_no_events_and_announces_nothing(
        settings, clock):
    counts, events = await _two_renewals(settings, clock)
    assert counts[("find", "events")] == 0
    assert len(events) == 1                               # the creation's; Free's limits stay


async def test_after_a_use_case_wrote_the_renewal_compares_with_the_last_event(settings, clock):
    async def wrote_and_announced(svc, ws):   # a use case's write, then its (other) limits
        await state.poke(svc, ws, clock.now())
        await emit(svc.db, "entitlements.changed", ws, ws, {"limits": {"users": 99}},
                   clock.now(), key="other")
    counts, events = await _two_renewals(settings, clock, wrote_and_announced)
    assert counts[("find", "events")] == 1
    assert [e["data"]["limits"] for e in events[1:]] == [{"users": 99}, events[0]["data"]["limits"]]


async def test_limits_moved_without_a_write_are_announced_at_the_renewal(settings, clock):
    async def terms_changed(svc, ws):        # the plan's terms, edited in the store
        await svc.db.plans.update_one({"_id": "free"}, {"$inc": {"limits.users": 1}})
    counts, events = await _two_renewals(settings, clock, terms_changed)
    assert counts[("find", "events")] == 0
    assert len(events) == 2
    assert events[1]["data"]["limits"]["users"] == events[0]["data"]["limits"]["users"] + 1
