"""A preview changes nothing: counted by a PyMongo command listener on the app's own clients,
every command a preview sends is a read, whatever the kind."""
import dataclasses
from datetime import timedelta

import pytest
from pymongo import monitoring

from service.runtime.app import create_app
from tests.addon_helpers import EXTRA_USER, buy_and_pay, create_addon
from tests.helpers import PHONE_A, Api
from tests.previews.preview_helpers import preview

READS = {"find", "aggregate", "count", "distinct", "getMore", "listIndexes", "killCursors",
         "endSessions", "hello", "ismaster", "isMaster", "ping"}


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.on = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on:
            self.seen.append(event.command_name)

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


@pytest.fixture
async def watched(aiohttp_client, settings, clock):
    commands = Commands()
    app = create_app(dataclasses.replace(settings, event_listeners=(commands,)), clock=clock,
                     background=False)
    return Api(await aiohttp_client(app), clock), commands


async def test_every_kind_of_preview_only_reads(watched):
    api, commands = watched
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, seat["id"], 2)
    api.clock.advance(timedelta(days=3))
    asked = [("plan_change", {"plan": "pro", "period": "monthly",
                              "addons": [{"addon_id": seat["id"], "quantity": 3}]}),
             ("renewal", {}), ("addon_purchase", {"addon_id": seat["id"], "quantity": 1}),
             ("addon_quantity", {"addon_id": seat["id"], "quantity": 5}),
             ("addon_quantity", {"addon_id": seat["id"], "quantity": 1}),
             ("addon_stop", {"addon_id": seat["id"]}),
             ("topup", {"balance": "conversation", "amount": 50_000})]
    for kind, fields in asked:
        commands.on, commands.seen = True, []
        resp = await api.client.post(f"/v1/workspaces/{ws}/previews",
                                     json={"kind": kind, **fields}, headers=api.auth(key))
        commands.on = False
        assert resp.status in (200, 409, 422), await resp.text()   # a purchase of a held seat
        assert commands.seen and set(commands.seen) <= READS, (kind, commands.seen)
    # and the subscription is as it was: two seats, nothing scheduled
    sub = await (await api.client.get(f"/v1/workspaces/{ws}/subscription",
                                      headers=api.auth(key))).json()
    assert [(a["addon_id"], a["quantity"]) for a in sub["addons"]] == [(seat["id"], 2)]
    assert sub["scheduled_change"] is None
    assert (await preview(api, ws, key, "renewal"))["totals"][0]["amount"] == 299_000 + 98_000
