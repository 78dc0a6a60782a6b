"""Store commands of one signed single-status `delivered` webhook for a fresh wamid, counted
with a PyMongo command listener (README, "Store commands per flow"). The counts are ceilings:
this test fails if the flow grows. Each document is read at most once per request."""
import dataclasses
from collections import Counter

from pymongo import monitoring

from service.runtime.app import create_app
from tests.helpers import PHONE_A, Api, app_services, status, status_payload

READS = {"find", "aggregate", "count", "distinct", "findAndModify", "getMore"}
# Measured (NX-27017), in order: find phone_numbers, workspaces, plans (the route and rate card,
# cached for a few seconds); insert wa_messages; find ledger (is the charge key applied?); update
# wallets (the conditional replace); insert ledger; insert wa_payloads (the raw payload, stored
# after processing with its summary: no separate processing mark since issue 16). The message
# record's insert runs at the same time as the ledger's three (pipe18): 4 one after the other.
COLD_CEILING = 8    # the first webhook of a phone number: its route is read
WARM_CEILING = 5    # a later one, within the route cache's lifetime


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        if isinstance(collection, str):
            self.seen.append((event.command_name, collection))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


async def listened(aiohttp_client, settings, clock, listener) -> Api:
    """The app (no background loops) with `listener` on its store clients."""
    app = create_app(dataclasses.replace(settings, event_listeners=(listener,)), clock=clock,
                     background=False)
    return Api(await aiohttp_client(app), clock)


async def _commands_of_one_webhook(api: Api, commands: Commands, wamid: str) -> list:
    commands.seen.clear()
    payload = status_payload(PHONE_A, [status(wamid, "delivered")])
    assert (await api.webhook(payload)).status == 200
    await app_services(api).whatsapp.marks.close()   # the deferred, group-committed writes
    seen = list(commands.seen)
    reads = Counter(collection for name, collection in seen if name in READS)
    assert all(n <= 1 for n in reads.values()), reads          # each document read at most once
    return seen


async def test_one_delivered_status_costs_a_bounded_number_of_store_commands(
        aiohttp_client, settings, clock):
    commands = Commands()
    api = await listened(aiohttp_client, settings, clock, commands)
    ws, key = await api.create_workspace([PHONE_A])
    cold = await _commands_of_one_webhook(api, commands, "wamid.count1")
    warm = await _commands_of_one_webhook(api, commands, "wamid.count2")
    print(f"\nstore commands, cold route cache ({len(cold)}): {cold}")
    print(f"store commands, warm route cache ({len(warm)}): {warm}")
    assert len(cold) <= COLD_CEILING, cold
    assert len(warm) <= WARM_CEILING, warm
    assert (await api.amounts(ws, key))["conversation"][0] < 15000   # it did charge
