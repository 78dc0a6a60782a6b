"""Issue 16: the sweep's overdue find reads only the records that may still need the 24-hour
fallback charge (those carrying `awaiting_ms`), not every record ever delivered; records
written before the field existed are still charged (a one-time backfill)."""
from datetime import timedelta

import pytest

from service.runtime.context import SERVICES
from service.whatsapp import webhooks
from tests.helpers import PHONE_A, Api, assert_reconciled, status, status_payload

TS = 1795144627
BROADCAST_IN_ARREARS = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 650)}


async def app_api_of(aiohttp_client, make_app, clock) -> Api:
    app = make_app()
    api = Api(await aiohttp_client(app), clock)
    api.svc = app[SERVICES]
    return api


@pytest.fixture
async def app_api(aiohttp_client, make_app, clock):
    return await app_api_of(aiohttp_client, make_app, clock)


async def _post(api, *statuses):
    resp = await api.webhook(status_payload(PHONE_A, list(statuses)))
    assert resp.status == 200, await resp.text()


async def _awaiting(api) -> set[str]:
    """The wamids the overdue find can read (flushing the deferred marks first)."""
    await api.svc.whatsapp.marks.close()
    messages = api.svc.whatsapp.collection["wa_messages"]
    return {d["_id"] async for d in messages.find({"awaiting_ms": {"$exists": True}})}


async def test_only_delivered_records_without_category_or_charge_carry_the_sweeps_field(
        app_api, clock):
    await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.a1", "delivered", "service", ts=TS),   # charged inline
                status("wamid.a2", "read", None, ts=TS),                        # waits
                status("wamid.a3", "delivered", None, ts=TS),                   # category later
                status("wamid.a4", "sent", None, ts=TS))                        # not delivered
    assert await _awaiting(app_api) == {"wamid.a2", "wamid.a3"}
    await _post(app_api, status("wamid.a3", "sent", "marketing", ts=TS))
    assert await _awaiting(app_api) == {"wamid.a2"}
    # the category came first, then a delivered status without it: the sweep drops it
    await _post(app_api, status("wamid.a1", "read", None, ts=TS + 60))
    clock.advance(timedelta(minutes=11))
    summary = await webhooks.sweep(app_api.svc)
    assert summary["fallback_charged"] == 1                        # wamid.a2
    assert await _awaiting(app_api) == set()                       # charged: mark removes it
    await _post(app_api, status("wamid.a2", "read", None, ts=TS + 60))   # a late duplicate
    clock.advance(timedelta(minutes=11))
    assert (await webhooks.sweep(app_api.svc))["fallback_charged"] == 0
    assert await _awaiting(app_api) == set()
    await assert_reconciled(app_api)


async def test_the_overdue_find_filters_on_the_sweeps_field_only(app_api, clock, monkeypatch):
    await app_api.create_workspace([PHONE_A])
    messages = app_api.svc.whatsapp.collection["wa_messages"]
    filters = []
    original = type(messages).find

    def spy(self, *args, **kwargs):
        if self is messages and args and ("_ms" in str(args[0])):
            filters.append(args[0])
        return original(self, *args, **kwargs)
    monkeypatch.setattr(type(messages), "find", spy)
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert filters and all(set(f) == {"awaiting_ms"} for f in filters), filters


async def test_records_written_before_the_field_existed_are_still_charged(
        app_api, aiohttp_client, make_app, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.old", "read", None, ts=TS))
    log_db = app_api.svc.whatsapp.db
    # the store as the previous version left it: no `awaiting_ms`, no backfill's progress
    await log_db.wa_messages.update_one({"_id": "wamid.old"}, {"$unset": {"awaiting_ms": ""}})
    await log_db.wa_upgrades.delete_many({})
    assert await _awaiting(app_api) == set()
    clock.advance(timedelta(minutes=11))
    upgraded = await app_api_of(aiohttp_client, make_app, clock)   # a process of this version
    await webhooks.sweep(upgraded.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert await _awaiting(upgraded) == set()
    assert (await log_db.wa_upgrades.find_one({"_id": "awaiting_ms"}))["done"] is True
    await assert_reconciled(app_api)
