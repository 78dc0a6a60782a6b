"""A subscription's change or cancel is saved, then the process dies before its event is
inserted: the event is not lost (the save journaled it; the next billing pass inserts it), and
it is never there twice."""
from __future__ import annotations

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from tests.events.helpers import all_events, types_of
from tests.helpers import PHONE_A
from tests.subscription_helpers import post, run_due, subscription

JOURNALED = ("subscription.change_scheduled", "subscription.canceled")


class ProcessDied(Exception):
    """What the process does right after the subscription's save, in these tests."""


@pytest.fixture
def dies_before_the_event(monkeypatch):
    """The first insert of a change_scheduled/canceled event raises (the process died after
    the subscription was saved); later inserts go through."""
    died: list[str] = []
    insert_one, insert_many = AsyncCollection.insert_one, AsyncCollection.insert_many

    def dying(docs) -> None:
        if not died and any(d.get("type") in JOURNALED for d in docs):
            died.append(next(d["type"] for d in docs if d.get("type") in JOURNALED))
            raise ProcessDied("killed between the save and the event")

    async def one(self, document, *args, **kwargs):
        if self.name == "events":
            dying([document])
        return await insert_one(self, document, *args, **kwargs)

    async def many(self, documents, *args, **kwargs):
        documents = list(documents)
        if self.name == "events":
            dying(documents)
        return await insert_many(self, documents, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "insert_one", one)
    monkeypatch.setattr(AsyncCollection, "insert_many", many)
    return died


@pytest.mark.parametrize("action, body, event", [
    ("change", {"plan": "free", "period": "monthly"}, "subscription.change_scheduled"),
    ("cancel", None, "subscription.canceled")])
async def test_an_event_lost_with_the_process_after_the_save_is_sent_by_the_next_pass(
        api, dies_before_the_event, action, body, event):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    assert (await post(api, ws, key, action, body)).status == 500     # died mid-request
    assert dies_before_the_event == [event]
    shown = await subscription(api, ws, key)
    assert shown["scheduled_change"]["plan"] == "free"        # the change was saved
    assert event not in await types_of(api, key, type="subscription.*")
    await run_due(api, api.clock.now())
    await run_due(api, api.clock.now())                       # a second pass: no echo
    found = [e for e in await all_events(api, key, type="subscription.*") if e["type"] == event]
    assert len(found) == 1
    assert found[0]["data"]["scheduled_change"] == {
        k: shown["scheduled_change"][k] for k in found[0]["data"]["scheduled_change"]}


async def test_the_next_save_sends_a_journaled_event_before_it_replaces_the_journal(
        api, dies_before_the_event):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    assert (await post(api, ws, key, "cancel")).status == 500
    resp = await post(api, ws, key, "change", {"plan": "free", "period": "monthly"})
    assert resp.status == 200, await resp.text()
    assert [t for t in await types_of(api, key, type="subscription.*")
            if t in JOURNALED] == ["subscription.canceled", "subscription.change_scheduled"]
