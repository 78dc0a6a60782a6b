"""Grouped conditional updates (service/mongo/grouped_writes.py): concurrent `update_one` /
`replace_one` calls on different `_id`s are one unordered bulk write, and each caller hears
whether ITS write matched, as its own command would have told it."""
import asyncio

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from tests.mongo.grouped_helpers import grouped_database


@pytest.fixture
async def grouped(mongo_uri):
    docs = [{"_id": f"d{i}", "version": 1, "n": i} for i in range(5)]
    async with grouped_database(mongo_uri, docs) as pair:
        yield pair


def _matched(results) -> list[int]:
    return [r.matched_count for r in results]


async def _n(db) -> dict[str, int]:
    return {d["_id"]: d["n"] async for d in db._db.docs.find({})}


async def test_concurrent_conditional_updates_are_one_bulk_write_when_all_match(grouped):
    db, counter = grouped
    results, counts = await counter.measure(asyncio.gather(
        *(db.docs.update_one({"_id": f"d{i}", "version": 1},
                             {"$set": {"n": 10 + i}, "$inc": {"version": 1}}) for i in range(3)),
        db.docs.replace_one({"_id": "d3", "version": 1}, {"version": 2, "n": 13})))
    assert _matched(results) == [1, 1, 1, 1]
    assert [r.modified_count for r in results] == [1, 1, 1, 1]
    assert counts == {("update", "docs"): 1}
    assert await _n(db) == {"d0": 10, "d1": 11, "d2": 12, "d3": 13, "d4": 4}
    read = await db.docs.find_one({"_id": "d0"})         # carries the token of its last write
    again, counts = await counter.measure(asyncio.gather(
        db.docs.replace_one({"_id": "d0", "version": 2}, {**read, "n": 20}),
        db.docs.replace_one({"_id": "d1", "version": 1}, {"version": 2, "n": 21})))
    assert _matched(again) == [1, 0] and counts == {("update", "docs"): 1, ("find", "docs"): 1}
    assert (await _n(db))["d0"] == 20


async def test_a_lost_condition_among_winners_is_told_to_its_caller_only(grouped):
    db, counter = grouped
    results, counts = await counter.measure(asyncio.gather(
        db.docs.update_one({"_id": "d0", "version": 1}, {"$set": {"n": 10}}),
        db.docs.update_one({"_id": "d1", "version": 7}, {"$set": {"n": 11}}),     # stale
        db.docs.replace_one({"_id": "d2", "version": 1}, {"version": 2, "n": 12}),
        db.docs.replace_one({"_id": "missing", "version": 1}, {"version": 2, "n": 0}),
        db.docs.update_one({"_id": "d3", "version": 1}, {"$set": {"n": 13}})))
    assert _matched(results) == [1, 0, 1, 0, 1]
    assert counts == {("update", "docs"): 1, ("find", "docs"): 1}    # the tokens read back
    assert await _n(db) == {"d0": 10, "d1": 1, "d2": 12, "d3": 13, "d4": 4}
    none, counts = await counter.measure(asyncio.gather(
        *(db.docs.update_one({"_id": f"d{i}", "version": 9}, {"$set": {"n": 0}})
          for i in range(2))))
    assert _matched(none) == [0, 0] and counts == {("update", "docs"): 1}   # no read needed


async def test_two_callers_on_one_id_are_never_in_one_bulk(grouped):
    # In one bulk both would match d1, the lost one on d2 makes the read-back necessary, and
    # d1 would carry only the second's token: the first, which matched, would hear 0.
    db, counter = grouped
    results, counts = await counter.measure(asyncio.gather(
        db.docs.update_one({"_id": "d1"}, {"$inc": {"n": 10}}),
        db.docs.update_one({"_id": "d2", "version": 5}, {"$set": {"n": 0}}),
        db.docs.update_one({"_id": "d1"}, {"$inc": {"n": 100}})))
    assert _matched(results) == [1, 0, 1]
    assert counts == {("update", "docs"): 2, ("find", "docs"): 1}
    assert (await _n(db))["d1"] == 111


async def test_a_crash_between_the_bulk_and_the_read_back_loses_answers_not_writes(
        grouped, monkeypatch):
    db, counter = grouped
    real_find = AsyncCollection.find

    def killed(self, *args, **kwargs):
        raise RuntimeError("killed before the read-back")
    monkeypatch.setattr(AsyncCollection, "find", killed)
    results = await asyncio.gather(
        db.docs.update_one({"_id": "d0", "version": 1}, {"$set": {"n": 10}, "$inc": {
            "version": 1}}),
        db.docs.update_one({"_id": "d1", "version": 7}, {"$set": {"n": 11}}),
        return_exceptions=True)
    monkeypatch.setattr(AsyncCollection, "find", real_find)
    assert [str(r) for r in results] == ["killed before the read-back"] * 2   # both hear it
    # What happened is in the store: a caller that reads again (as the billing pass does after
    # any failure) sees its write applied once, and its retry on the old version matches
    # nothing, so nothing is applied twice.
    assert await _n(db) == {"d0": 10, "d1": 1, "d2": 2, "d3": 3, "d4": 4}
    retry = await db.docs.update_one({"_id": "d0", "version": 1}, {"$set": {"n": 20}})
    assert retry.matched_count == 0 and (await _n(db))["d0"] == 10


async def test_updates_with_options_or_without_an_id_go_to_the_collection_as_they_are(grouped):
    db, counter = grouped
    results, counts = await counter.measure(asyncio.gather(
        db.docs.update_one({"n": 1}, {"$set": {"n": 21}}),
        db.docs.update_one({"_id": "d2"}, {"$set": {"n": 22}}, upsert=True),
        db.docs.update_one({"_id": {"$in": ["d3"]}}, {"$set": {"n": 23}})))
    assert _matched(results) == [1, 1, 1] and counts == {("update", "docs"): 3}
    assert "_writer" not in await db._db.docs.find_one({"_id": "d2"})
