"""Grouped `_id` reads and single inserts (service/mongo/grouped.py): concurrent callers share
one command per collection, and each gets what its own command would have given it."""
import asyncio

import pytest
from pymongo.errors import DuplicateKeyError

from service.mongo.grouped import find_by
from tests.mongo.grouped_helpers import grouped_database


@pytest.fixture
async def grouped(mongo_uri):
    docs = [{"_id": f"d{i}", "n": i, "tags": {"a": i}} for i in range(5)]
    async with grouped_database(mongo_uri, docs) as pair:
        yield pair


async def test_concurrent_id_reads_are_one_find_and_each_caller_gets_its_own_answer(grouped):
    db, counter = grouped
    ids = ["d0", "d1", "missing", "d1", "d4"]
    found, counts = await counter.measure(asyncio.gather(
        *(db.docs.find_one({"_id": i}) for i in ids),
        db.docs.find_one({"_id": "d2"}, {"n": 1}), db["docs"].find_one({"_id": "d3"}, {"tags": 0})))
    assert [d and d["n"] for d in found[:5]] == [0, 1, None, 1, 4]
    assert found[5] == {"_id": "d2", "n": 2} and found[6] == {"_id": "d3", "n": 3}
    found[1]["n"] = 99                          # one caller's copy is its own
    assert found[3]["n"] == 1
    assert counts == {("find", "docs"): 3}      # one per projection


async def test_concurrent_inserts_are_one_insert_and_a_duplicate_fails_only_its_caller(grouped):
    db, counter = grouped
    docs = [{"_id": "n1"}, {"_id": "d0"}, {"_id": "n2"}, {"_id": "n1"}, {"x": 1}]
    results, counts = await counter.measure(asyncio.gather(
        *(db.docs.insert_one(d) for d in docs), return_exceptions=True))
    assert [r.inserted_id if not isinstance(r, Exception) else type(r) for r in results[:4]] == [
        "n1", DuplicateKeyError, "n2", DuplicateKeyError]
    assert results[4].inserted_id == docs[4]["_id"]
    assert counts == {("insert", "docs"): 1}
    assert await db.docs.count_documents({}) == 8


async def test_other_commands_go_to_the_collection_as_they_are(grouped):
    db, _ = grouped
    assert await db.docs.find_one({"n": 3}) == {"_id": "d3", "n": 3, "tags": {"a": 3}}
    assert await db.docs.find_one({"_id": "d2"}, {"_id": 0, "n": 1}) == {"n": 2}
    assert (await db.docs.update_one({"_id": "d2"}, {"$set": {"n": 7}})).matched_count == 1
    assert [d["n"] async for d in db.docs.find({"_id": {"$in": ["d2", "d4"]}}).sort("n", 1)] == [
        4, 7]


async def test_concurrent_finds_by_one_field_are_one_find_each_sorted_as_asked(grouped):
    db, counter = grouped
    await db.docs.insert_many([{"_id": f"o{i}", "ws": f"w{i % 3}", "kind": "renewal" if i < 9
                                else "other", "at": 10 - i} for i in range(12)])
    found, counts = await counter.measure(asyncio.gather(
        *(find_by(db.docs, "ws", ws, {"kind": "renewal"}, [("at", 1)])
          for ws in ("w0", "w1", "w9", "w0"))))
    assert [[d["_id"] for d in docs] for docs in found] == [
        ["o6", "o3", "o0"], ["o7", "o4", "o1"], [], ["o6", "o3", "o0"]]
    assert found[0] is not found[3] and counts == {("find", "docs"): 1}
    alone = await find_by(db._db.docs, "ws", "w0", {"kind": "renewal"}, [("at", -1)])
    assert [d["_id"] for d in alone] == ["o0", "o3", "o6"]


async def test_a_grouped_read_of_more_than_a_first_batch_is_one_command(grouped):
    """PyMongo's first batch holds 101 documents; a larger group asked for the rest with
    `getMore` round trips (the billing pass reads a page of 1,000 workspaces at once)."""
    db, counter = grouped
    await db.docs.insert_many([{"_id": f"m{i}", "ws": f"w{i}", "kind": "k"} for i in range(250)])
    found, counts = await counter.measure(asyncio.gather(
        *(db.docs.find_one({"_id": f"m{i}"}) for i in range(250))))
    listed, more = await counter.measure(asyncio.gather(
        *(find_by(db.docs, "ws", f"w{i}", {"kind": "k"}) for i in range(250))))
    assert [d["_id"] for d in found] == [f"m{i}" for i in range(250)]
    assert [[d["_id"] for d in docs] for docs in listed] == [[f"m{i}"] for i in range(250)]
    assert counts == {("find", "docs"): 1} and more == {("find", "docs"): 1}
