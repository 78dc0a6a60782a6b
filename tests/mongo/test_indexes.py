"""The indexes of `events` (bill19) and `subscriptions` (bill20): each costs every write of a
document a write, so they keep only those a query uses; those an earlier version created that
no query needs are dropped at start-up, whatever name the store gave them, and every query on
them still finds the same documents."""
from datetime import timedelta
from types import SimpleNamespace

from pymongo import ASCENDING, AsyncMongoClient

from service.events.emit import emit
from service.events.repository import EventQuery, last_of, page
from service.mongo.docs import to_ms
from service.mongo.events import events_of
from service.mongo.store import ensure_indexes
from service.subscriptions.repository import due_at
from tests.conftest import START


def _keys(info: dict) -> list[list[tuple]]:
    return sorted([tuple(k) for k in spec["key"]] for name, spec in info.items() if name != "_id_")


async def test_an_older_stores_unused_events_indexes_are_dropped_and_queries_still_answer(
        settings):
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    try:
        db = client[settings.mongodb_db]
        await db.events.create_index([("created_at", ASCENDING)])       # as earlier versions did
        await db.events.create_index([("object_id", ASCENDING)])
        await ensure_indexes(db, whatsapp_log=False)
        keys = _keys(await db.events.index_information())
        for i, kind in enumerate(("a.created", "b.changed", "b.changed")):
            await emit(db, kind, "ws_1", "ws_1", {"n": i}, START + timedelta(minutes=i),
                       key=str(i), reseller_id=None)
        assert [e["data"]["n"] for e in await events_of(db, "ws_1")] == [0, 1, 2]
        assert (await last_of(db, "ws_1", "b.changed"))["data"]["n"] == 2
        assert [e["data"]["n"] for e in (await page(db, EventQuery(workspace_id="ws_1")))[0]] \
            == [2, 1, 0]
    finally:
        await client.drop_database(settings.mongodb_db)
        await client.close()
    assert keys == [[("dispatched", 1)], [("object_id", 1), ("type", 1), ("order", 1)],
                    [("order", 1)], [("reseller_id", 1), ("order", 1)],
                    [("workspace_id", 1), ("order", 1)]]


async def test_an_older_stores_due_at_index_is_dropped_and_the_due_query_still_answers(
        settings):
    """`subscriptions` keeps only `due_ms` (bill20): `due.at` served the due query of the
    versions before `due_ms`, and each subscription write paid for it."""
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    try:
        db = client[settings.mongodb_db]
        await db.subscriptions.create_index([("due.at", ASCENDING)])    # as earlier versions did
        await ensure_indexes(db, whatsapp_log=False)
        keys = _keys(await db.subscriptions.index_information())
        await db.subscriptions.insert_many([
            {"_id": "ws_due", "current_period_end": START, "due": {"at": START},
             "due_ms": to_ms(START)},
            {"_id": "ws_later", "current_period_end": START,
             "due": {"at": START + timedelta(days=1)},
             "due_ms": to_ms(START + timedelta(days=1))},
            {"_id": "ws_never", "current_period_end": START}])
        due = await due_at(SimpleNamespace(db=db), START + timedelta(minutes=1), 10)
    finally:
        await client.drop_database(settings.mongodb_db)
        await client.close()
    assert keys == [[("due_ms", 1)]]
    assert [ws for ws, _ in due] == ["ws_never", "ws_due"]
