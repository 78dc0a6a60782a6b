"""Routes kept until the routes' revision moves (issue 16, 100,000 workspaces: a phone number comes
back every few minutes). Two processes on one store: the app (which makes the changes through its
API) and a second `Routing` on the same database with its own monotonic clock, moved by hand."""
import asyncio
from collections import Counter

from pymongo import monitoring

from service.whatsapp.route_revision import DOC_ID, WRITE_LEASE
from service.whatsapp.routing import ROUTE_CACHE_SECONDS, Routing
from tests.helpers import ADMIN_TOKEN, app_services, patch_workspace
from tests.whatsapp.test_webhook_store_commands import listened


class Ticks:
    """An injected monotonic clock."""
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Seen(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if isinstance(target, str):
            self.seen[f"{event.command_name} {target}"] += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


async def _setup(aiohttp_client, settings, clock, phone: str):
    seen = Seen()
    api = await listened(aiohttp_client, settings, clock, seen)
    ws, _ = await api.create_workspace([phone], billing_info=False)
    ticks = Ticks()
    other = Routing(app_services(api).db, monotonic=ticks)     # another process
    await other.check()
    return api, seen, ws, ticks, other


async def _price(routing: Routing, phone: str) -> int:
    return (await routing.routes({phone}))[phone].rates.price("service").amount


async def test_a_route_is_kept_while_nothing_changes(aiohttp_client, settings, clock):
    """Before: read again once 5 s old, so a number that comes back every few minutes was
    read on every webhook."""
    api, seen, _, ticks, other = await _setup(aiohttp_client, settings, clock, "62830000000001")
    assert await _price(other, "62830000000001") == 30
    for _ in range(3):
        ticks.now += 300                            # five minutes later, three times
        seen.seen.clear()
        assert await _price(other, "62830000000001") == 30
        assert seen.seen["find phone_numbers"] == seen.seen["find workspaces"] == 0, seen.seen
        assert seen.seen["find routing"] == 1       # the revision: one small document
    await other.close()


async def test_a_change_is_seen_at_once_here_and_within_the_cache_time_elsewhere(
        aiohttp_client, settings, clock):
    api, seen, ws, ticks, other = await _setup(aiohttp_client, settings, clock, "62830000000002")
    here = app_services(api).routing
    assert await _price(other, "62830000000002") == await _price(here, "62830000000002") == 30
    resp = await patch_workspace(api, ws, {"rate_overrides": {"service": 45}})
    assert resp.status == 200, await resp.text()
    assert await _price(here, "62830000000002") == 45           # the process that made it
    ticks.now += ROUTE_CACHE_SECONDS / 2 - 0.1
    assert await _price(other, "62830000000002") in (30, 45)    # not yet required
    ticks.now += ROUTE_CACHE_SECONDS / 2 + 0.1                  # the revision is as old as allowed
    assert await _price(other, "62830000000002") == 45
    ticks.now += 300
    seen.seen.clear()
    assert await _price(other, "62830000000002") == 45          # and kept again
    assert seen.seen["find phone_numbers"] == 0, seen.seen
    await other.close()


async def test_a_plan_price_and_a_moved_number_move_the_revision(aiohttp_client, settings, clock):
    api, _, ws, ticks, other = await _setup(aiohttp_client, settings, clock, "62830000000003")
    assert await _price(other, "62830000000003") == 30
    free = {"name": "Free", "rank": 0, "prices": {u: {"amount": 0} for u in (
                "monthly", "quarterly", "yearly")},
            "conversation_grant": {"amount": 15_000}, "grant_rolls_over": False,
            "limits": {"users": 1, "contacts": 500, "broadcast_quota": 0},
            "rates": {"service": {"amount": 35}}}
    resp = await api.client.put("/v1/admin/plans/free", json=free, headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200, await resp.text()
    ticks.now += ROUTE_CACHE_SECONDS
    assert await _price(other, "62830000000003") == 35
    resp = await patch_workspace(api, ws, {"phone_number_ids": ["62830000000004"]})
    assert resp.status == 200, await resp.text()
    ticks.now += ROUTE_CACHE_SECONDS
    assert await other.routes({"62830000000003"}) == {}         # released
    assert await _price(other, "62830000000004") == 35
    await other.close()


async def test_routes_read_while_a_change_is_in_progress_are_kept_briefly(
        aiohttp_client, settings, clock):
    api, seen, _, ticks, other = await _setup(aiohttp_client, settings, clock, "62830000000005")
    writer = Routing(app_services(api).db)
    async with writer.changing():                   # a change whose writes are not done
        ticks.now += ROUTE_CACHE_SECONDS
        assert await _price(other, "62830000000005") == 30
        ticks.now += ROUTE_CACHE_SECONDS
        seen.seen.clear()
        assert await _price(other, "62830000000005") == 30
        assert seen.seen["find phone_numbers"] == 1     # read again: it may have changed
    ticks.now += ROUTE_CACHE_SECONDS
    assert await _price(other, "62830000000005") == 30
    ticks.now += 300
    seen.seen.clear()
    assert await _price(other, "62830000000005") == 30
    assert seen.seen["find phone_numbers"] == 0         # ended: kept again
    await other.close()


async def test_a_change_whose_writer_died_stops_counting_after_the_lease(
        aiohttp_client, settings, clock):
    api, seen, _, ticks, other = await _setup(aiohttp_client, settings, clock, "62830000000006")
    db = app_services(api).db
    await db.routing.update_one({"_id": DOC_ID}, {"$inc": {"n": 1}, "$set": {"open.tdead": 1}},
                                upsert=True)       # its step 1, then the process died
    ticks.now += ROUTE_CACHE_SECONDS
    assert await _price(other, "62830000000006") == 30
    ticks.now += WRITE_LEASE
    seen.seen.clear()
    assert await _price(other, "62830000000006") == 30
    assert seen.seen["find phone_numbers"] == 1
    assert (await db.routing.find_one({"_id": DOC_ID})).get("open") in ({}, None)
    ticks.now += 300
    seen.seen.clear()
    assert await _price(other, "62830000000006") == 30
    assert seen.seen["find phone_numbers"] == 0
    await other.close()


async def test_concurrent_changes_share_the_revision_writes(aiohttp_client, settings, clock):
    """The billing pass changes plans 100 at a time: 2 revision writes per flush, not per change."""
    api, seen, _, _, other = await _setup(aiohttp_client, settings, clock, "62830000000007")
    db, routing = app_services(api).db, app_services(api).routing
    before = (await db.routing.find_one({"_id": DOC_ID}) or {}).get("n", 0)
    seen.seen.clear()

    async def change(k: int) -> None:
        async with routing.changing():
            await db.scratch.insert_one({"_id": k})

    await asyncio.gather(*(change(k) for k in range(20)))
    assert seen.seen["update routing"] <= 4, seen.seen
    doc = await db.routing.find_one({"_id": DOC_ID})
    assert doc.get("open") in ({}, None) and doc["n"] > before
    await other.close()
