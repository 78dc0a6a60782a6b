"""Undoing a scheduled change (DELETE …/scheduled-change) is announced: an endpoint that
received `subscription.change_scheduled` (or `subscription.canceled`) then receives
`subscription.change_unscheduled`, in that order, also when the process dies between the save
that removed the change and the event's insert."""
from __future__ import annotations

from datetime import timedelta

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from tests.events.helpers import types_of
from tests.helpers import PHONE_A
from tests.outbound.receiver import deliver, register
from tests.subscription_helpers import base, post, run_due, subscription

UNSCHEDULED = "subscription.change_unscheduled"


class ProcessDied(Exception):
    """What the process does right after the save that removed the change, in these tests."""


@pytest.fixture
def dies_before_the_undo_event(monkeypatch):
    """The first insert of a change_unscheduled event raises; later inserts go through."""
    died: list[str] = []
    insert_many = AsyncCollection.insert_many

    async def many(self, documents, *args, **kwargs):
        documents = list(documents)
        if self.name == "events" and not died and any(d.get("type") == UNSCHEDULED
                                                      for d in documents):
            died.append(UNSCHEDULED)
            raise ProcessDied("killed between the save and the event")
        return await insert_many(self, documents, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "insert_many", many)
    return died


# a cancel (no invoice waits for it) and a change to a paid plan (its invoice is open)
CASES = [("growth", "cancel", None, "subscription.canceled"),
         ("free", "change", {"plan": "growth", "period": "monthly"},
          "subscription.change_scheduled")]


async def _schedule(hooks, receiver, plan, action, body):
    ws, key = await hooks.create_workspace([PHONE_A], plan=plan)
    hooks.clock.advance(timedelta(seconds=1))       # its subscription.created is not sent
    receiver.secrets.append((await register(hooks, key, receiver.url,
                                            event_types=["subscription.*"]))["secret"])
    resp = await post(hooks, ws, key, action, body)
    assert resp.status == 200, await resp.text()
    await deliver(hooks)        # the client hears of it (a pass sends its due events at once,
    hooks.clock.advance(timedelta(seconds=1))   # so only separate passes keep their order)
    return ws, key, (await subscription(hooks, ws, key))["scheduled_change"]


def _undo(hooks, ws, key):
    return hooks.client.delete(f"{base(ws)}/scheduled-change", headers=hooks.auth(key))


@pytest.mark.parametrize("plan, action, body, scheduled_type", CASES)
async def test_an_undone_change_reaches_the_endpoint_after_its_scheduling(
        hooks, receiver, plan, action, body, scheduled_type):
    ws, key, scheduled = await _schedule(hooks, receiver, plan, action, body)
    assert (await _undo(hooks, ws, key)).status == 200
    await deliver(hooks)
    assert receiver.types() == [scheduled_type, UNSCHEDULED]
    undone = receiver.received[1].body["data"]["data"]           # the event's data
    assert undone["scheduled_change"] is None
    assert undone["plan"] == plan
    assert {k: undone["undone"][k] for k in ("kind", "plan", "period", "timing")} == {
        k: scheduled[k] for k in ("kind", "plan", "period", "timing")}
    await deliver(hooks)
    assert len(receiver.received) == 2                         # once


@pytest.mark.parametrize("plan, action, body, scheduled_type", CASES)
async def test_an_undo_whose_process_died_after_the_save_is_still_delivered(
        hooks, receiver, dies_before_the_undo_event, plan, action, body, scheduled_type):
    ws, key, _ = await _schedule(hooks, receiver, plan, action, body)
    assert (await _undo(hooks, ws, key)).status == 500         # died mid-request
    assert dies_before_the_undo_event == [UNSCHEDULED]
    assert (await subscription(hooks, ws, key))["scheduled_change"] is None   # saved
    await deliver(hooks)
    assert receiver.types() == [scheduled_type]                # not inserted yet
    await run_due(hooks, hooks.clock.now())                    # the next billing pass
    await run_due(hooks, hooks.clock.now())
    await deliver(hooks)
    assert receiver.types() == [scheduled_type, UNSCHEDULED]


async def test_a_change_replacing_one_that_waited_for_its_invoice_announces_both(
        hooks, receiver):
    ws, key, _ = await _schedule(hooks, receiver, "free", "change",
                                 {"plan": "growth", "period": "monthly"})
    resp = await post(hooks, ws, key, "change", {"plan": "pro", "period": "monthly"})
    assert resp.status == 200, await resp.text()
    await deliver(hooks)
    types = receiver.types()
    assert types[0] == "subscription.change_scheduled"
    assert sorted(types[1:]) == ["subscription.change_scheduled", UNSCHEDULED]   # one pass
    assert await types_of(hooks, key, type="subscription.change*") == [     # their order
        "subscription.change_scheduled", UNSCHEDULED, "subscription.change_scheduled"]
    data = {r.type: r.body["data"]["data"] for r in receiver.received[1:]}
    assert (data[UNSCHEDULED]["undone"]["plan"],
            data["subscription.change_scheduled"]["scheduled_change"]["plan"]) == ("growth", "pro")
