"""Explicit equalities (the NX-27017 index workaround) select the same documents as the
implicit filters they replace."""
import uuid
from datetime import datetime, timezone

import pytest
from pymongo import AsyncMongoClient

from service.mongo.filters import explicit

AT = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)


def test_rewrites_top_level_scalars_only():
    query = {"_id": "a", "workspace_id": "ws_1", "n": 3, "ok": True, "at": AT, "gone": None,
             "lines.addon_id": "x", "status": {"$in": ["open"]}, "$or": [{"k": 1}]}
    assert explicit(query) == {
        "_id": "a", "workspace_id": {"$eq": "ws_1"}, "n": {"$eq": 3}, "ok": {"$eq": True},
        "at": {"$eq": AT}, "gone": None, "lines.addon_id": "x", "status": {"$in": ["open"]},
        "$or": [{"k": 1}]}


@pytest.fixture
async def collection(mongo_uri):
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    name = f"saldo_test_{uuid.uuid4().hex[:12]}"
    docs = client[name].docs
    await docs.create_index("workspace_id")
    await docs.insert_many([
        {"_id": i, "workspace_id": f"ws_{i % 3}", "kind": "charge" if i % 2 else "grant",
         "period_start": AT, "order": i, "lines": [{"addon_id": f"a{i % 2}"}],
         **({"gone": None} if i % 4 == 0 else {})} for i in range(12)])
    yield docs
    await client.drop_database(name)
    await client.close()


@pytest.mark.parametrize("query", [
    {"workspace_id": "ws_1"},
    {"workspace_id": "ws_2", "kind": "charge"},
    {"workspace_id": "ws_0", "period_start": AT, "kind": "grant"},
    {"workspace_id": "ws_1", "lines.addon_id": "a1", "order": {"$gte": 4}},
    {"workspace_id": "ws_0", "gone": None},
])
async def test_selects_what_the_implicit_filter_selects(collection, query):
    implicit = [d["_id"] async for d in collection.find(query).sort("order", -1)]
    assert implicit
    assert [d["_id"] async for d in collection.find(explicit(query)).sort("order", -1)] == implicit


async def test_updates_what_the_implicit_filter_updates(collection):
    done = await collection.update_many(explicit({"workspace_id": "ws_2", "kind": "charge"}),
                                        {"$set": {"seen": 1}})
    assert done.matched_count == 2
    assert sorted([d["_id"] async for d in collection.find({"seen": 1})]) == [5, 11]
