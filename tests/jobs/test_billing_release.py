"""A billing pass gives its claims back in one command when nothing else wrote the claimed
subscriptions meanwhile (service/subscriptions/repository.release_many): each due again when
the pass said; one a use case wrote keeps the due time that write set, and is given back too."""
import dataclasses
from datetime import timedelta

from jobs.run import running_services
from service.mongo.docs import to_ms
from service.subscriptions import state
from service.workspaces.workspaces import Principal, create_workspace
from tests.conftest import START
from tests.handlers.test_store_commands import CommandCounter
from tests.subscription_helpers import WIB

NEXT = START + timedelta(days=27)


async def _claimed(svc, clock, prefix: str) -> dict:
    for i in range(3):
        await create_workspace(svc, Principal("admin"), name=f"{prefix}{i}",
                               phone_number_ids=[str(10**14 + i)], plan="free", reseller_id=None,
                               now=START, tz=WIB)
    now = clock.now()
    due = await state.due_at(svc, now, 10)
    return await state.claim_many(svc, due, "worker", now + timedelta(minutes=5), now)


async def _stored(svc) -> dict:
    return {d["_id"]: (d["claim"], d["due_ms"]) async for d in svc.db.subscriptions.find({})}


async def test_claims_nobody_else_touched_are_given_back_with_one_command(settings, clock):
    counter = CommandCounter()
    async with running_services(dataclasses.replace(settings, event_listeners=(counter,)),
                                clock) as svc:
        claimed = await _claimed(svc, clock, "R")
        _, counts = await counter.measure(state.release_many(
            svc, "worker", [(ws, sub, NEXT) for ws, sub in claimed.items()]))
        stored = await _stored(svc)
    assert len(claimed) == 3
    assert counts == {("update", "subscriptions"): 1}
    assert stored == {ws: (None, to_ms(NEXT)) for ws in claimed}


async def test_a_claim_a_use_case_wrote_meanwhile_keeps_that_writes_due_time(settings, clock):
    counter = CommandCounter()
    async with running_services(dataclasses.replace(settings, event_listeners=(counter,)),
                                clock) as svc:
        claimed = await _claimed(svc, clock, "S")
        poked = sorted(claimed)[0]
        clock.advance(timedelta(seconds=30))
        await state.poke(svc, poked, clock.now())
        _, counts = await counter.measure(state.release_many(
            svc, "worker", [(ws, sub, NEXT) for ws, sub in claimed.items()]))
        stored = await _stored(svc)
    assert counts == {("update", "subscriptions"): 2}
    assert stored == {ws: (None, to_ms(clock.now() if ws == poked else NEXT)) for ws in claimed}
