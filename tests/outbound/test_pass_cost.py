"""What the delivery pass costs the store, counted with the command listener of
tests/handlers/test_store_commands.py: it runs every SALDO_WEBHOOK_INTERVAL in every web process
and in the jobs, so an idle pass must stay cheap. Run with `-s` to see the counts."""
from __future__ import annotations

import dataclasses

import pytest

from service.runtime.app import create_app
from tests.handlers.test_store_commands import CommandCounter
from tests.helpers import PHONE_A, Api, topup
from tests.outbound.receiver import deliver, register


@pytest.fixture
async def counted(aiohttp_client, settings, clock):
    counter = CommandCounter()
    app = create_app(dataclasses.replace(settings, event_listeners=(counter,),
                                         webhooks_allow_private=True), clock=clock,
                     background=False)
    return Api(await aiohttp_client(app), clock), counter


async def test_an_idle_pass_costs_two_commands_and_one_delivery_ten(counted, receiver):
    api, counter = counted
    _, idle = await counter.measure(deliver(api))
    print("idle pass", dict(idle))
    assert sum(idle.values()) == 2        # no new event (find), nothing due (findAndModify)
    ws, key = await api.create_workspace([PHONE_A])
    await register(api, key, receiver.url, event_types=["invoice.created"])
    await topup(api, ws, key)
    _, busy = await counter.measure(deliver(api))
    print("one delivery", dict(busy))
    assert len(receiver.received) == 1
    # fan-out: new events (they carry their reseller), endpoints, delivery insert, events
    # marked; sending: claim and a missed claim, the endpoint, the event, the attempt, the
    # delivery's outcome
    assert sum(busy.values()) == 10, busy
