"""Routing with many workspaces (issue 16): concurrent webhooks whose routes are not cached read
them together (a constant number of finds, not one per request), and the route cache is bounded."""
import asyncio
from collections import Counter

from pymongo import monitoring

from service.whatsapp.routing import Routing
from tests.helpers import app_services, status, status_payload
from tests.whatsapp.test_webhook_store_commands import listened

K = 20
ROUTE_READS_CEILING = 3   # per collection, for K cold phones at once (before: K each)


class Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.seen[event.command.get("find")] += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


async def test_concurrent_webhooks_of_cold_phones_read_their_routes_together(
        aiohttp_client, settings, clock):
    finds = Finds()
    api = await listened(aiohttp_client, settings, clock, finds)
    phones = [f"62800000{k:07d}" for k in range(K)]
    made = [await api.create_workspace([phone], billing_info=False) for phone in phones]
    app_services(api).routing.forget()
    finds.seen.clear()

    answers = await asyncio.gather(*(
        api.webhook(status_payload(phone, [status(f"wamid.scale{k}", "delivered")]))
        for k, phone in enumerate(phones)))

    assert [a.status for a in answers] == [200] * K
    route_reads = {c: finds.seen[c] for c in ("phone_numbers", "workspaces", "plans")}
    print(f"\nfinds for {K} concurrent webhooks of cold phones: {dict(finds.seen)}")
    assert route_reads["phone_numbers"] <= ROUTE_READS_CEILING, route_reads
    assert route_reads["workspaces"] <= ROUTE_READS_CEILING, route_reads
    assert route_reads["plans"] <= 1, route_reads
    for ws, key in made:                                   # and every one was charged, once
        assert (await api.amounts(ws, key))["conversation"] == (15000 - 30, 0, 0)


async def test_the_route_cache_keeps_the_most_recent_numbers_only(aiohttp_client, settings, clock):
    """A bounded LRU: past its size the least recently used number is read again, the others
    are not; a number nobody owns is cached too (as no route)."""
    finds = Finds()
    api = await listened(aiohttp_client, settings, clock, finds)
    phones = [f"62811111{k:07d}" for k in range(4)]
    for phone in phones[:3]:
        await api.create_workspace([phone], billing_info=False)
    routing = Routing(app_services(api).db, max_routes=3)

    async def phone_reads(wanted: set[str]) -> int:
        finds.seen.clear()
        got = await routing.routes(wanted)
        assert set(got) == wanted - {phones[3]}
        return finds.seen["phone_numbers"]

    for phone in phones[:3]:                               # read in this order
        assert await phone_reads({phone}) == 1
    for phone in phones[:3]:                               # all cached (same order)
        assert await phone_reads({phone}) == 0
    assert await phone_reads({phones[3]}) == 1             # unowned: cached as no route ...
    assert await phone_reads({phones[3]}) == 0
    assert await phone_reads({phones[1], phones[2]}) == 0  # ... and phones[0], the oldest, left
    assert await phone_reads({phones[0]}) == 1             # read again; now phones[3] is the oldest
    assert await phone_reads({phones[1], phones[2], phones[0]}) == 0
    assert await phone_reads({phones[3]}) == 1
