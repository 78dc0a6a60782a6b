"""Routing with many workspaces (issue 16): concurrent webhooks whose routes are not cached read
them together (a constant number of finds, not one per request), and the route cache is bounded."""
import asyncio
import gc
import tracemalloc
from collections import Counter

from pymongo import monitoring

from service.whatsapp.routing import Routing
from tests.helpers import app_services, status, status_payload
from tests.whatsapp.test_webhook_store_commands import listened

K = 20
ROUTE_READS_CEILING = 3   # per collection, for K cold phones at once (before: K each)
ROUTE_BYTES_CEILING = 250  # per cached route (measured: ~190; before: ~310 in an OrderedDict, ~500 earlier)


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
    are not; a number nobody owns is cached apart (as no route, for ROUTE_CACHE_SECONDS)."""
    finds = Finds()
    api = await listened(aiohttp_client, settings, clock, finds)
    phones = [f"62811111{k:07d}" for k in range(5)]
    for phone in phones[:4]:
        await api.create_workspace([phone], billing_info=False)
    routing = Routing(app_services(api).db, max_routes=3)
    await routing.check()

    async def phone_reads(wanted: set[str]) -> int:
        finds.seen.clear()
        got = await routing.routes(wanted)
        assert set(got) == wanted - {phones[4]}
        return finds.seen["phone_numbers"]

    for phone in phones[:3]:                               # read in this order
        assert await phone_reads({phone}) == 1
    for phone in phones[:3]:                               # all cached (same order)
        assert await phone_reads({phone}) == 0
    assert await phone_reads({phones[4]}) == 1             # unowned: cached as no route, apart
    assert await phone_reads({phones[4]}) == 0
    assert await phone_reads({phones[1], phones[0]}) == 0  # phones[2] is now the oldest
    assert await phone_reads({phones[3]}) == 1             # a fourth: phones[2] leaves
    assert await phone_reads({phones[0], phones[1], phones[3], phones[4]}) == 0
    assert await phone_reads({phones[2]}) == 1
    await routing.close()


async def test_a_cached_route_is_compact(aiohttp_client, settings, clock):
    """Issue 16 at 100,000 workspaces: the route cache's memory per phone number (measured with
    tracemalloc: the LRU node, the phone, the workspace id, the route). Routes without rate
    overrides share their plan's rate card (before: a card and a `__dict__` each, ~500 B)."""
    api = await listened(aiohttp_client, settings, clock, Finds())
    ws, _ = await api.create_workspace(["62822222000000"], billing_info=False)
    db = app_services(api).db
    phones = [f"6282222{k:07d}" for k in range(1, 2001)]   # each its own workspace, a copy of ws
    doc = await db.workspaces.find_one({"_id": ws})
    await db.workspaces.insert_many([{**doc, "_id": f"{ws}-{p}", "phone_number_ids": [p]} for p in phones])
    await db.phone_numbers.insert_many([{"_id": p, "workspace_id": f"{ws}-{p}", "claimed_ms": 0}
                                        for p in phones])
    routing = Routing(db, max_routes=len(phones))
    await routing.check()
    await routing.routes({"62822222000000"})             # the plan's rates, read once
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        routed = len(await routing.routes(set(phones)))
        gc.collect()
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert routed == len(phones)
    print(f"\n{grown / len(phones):.0f} B per cached route")
    assert grown / len(phones) <= ROUTE_BYTES_CEILING
