"""Invoice numbers taken together (a billing pass, on its grouped database): one counter update
for the invoices numbered at once, the numbers still consecutive, each invoice's own, and
taken once however often it asks (service/invoices/numbering.py)."""
import asyncio
import uuid

import pytest
from pymongo import AsyncMongoClient

from service.invoices import numbering
from service.mongo.grouped import GroupedDatabase
from tests.handlers.test_store_commands import CommandCounter


@pytest.fixture
async def dbs(mongo_uri):
    counter = CommandCounter()
    client = AsyncMongoClient(mongo_uri, tz_aware=True, event_listeners=[counter])
    name = f"saldo_test_{uuid.uuid4().hex[:12]}"
    yield client[name], counter
    await client.drop_database(name)
    await client.close()


async def _together(db, ids: list[str]) -> list[int]:
    grouped = GroupedDatabase(db)
    try:
        return await asyncio.gather(*(numbering.take_number(grouped, 2026, i) for i in ids))
    finally:
        await grouped.close()


async def test_invoices_numbered_together_take_consecutive_numbers_in_one_update(dbs):
    db, counter = dbs
    assert await numbering.take_number(db, 2026, "inv_0") == 1
    numbers, counts = await counter.measure(_together(db, [f"inv_{i}" for i in range(1, 6)]))
    assert numbers == [2, 3, 4, 5, 6]
    assert counts == {("findAndModify", "counters"): 1}
    assert await numbering.take_number(db, 2026, "inv_6") == 7      # and on from there


async def test_an_invoice_numbered_before_keeps_its_number_and_nobody_skips_one(dbs):
    db, _ = dbs
    assert await numbering.take_number(db, 2026, "inv_a") == 1   # then the process died
    numbers = await _together(db, ["inv_b", "inv_a", "inv_c", "inv_b"])
    assert numbers == [2, 1, 3, 2]          # inv_a its own; inv_b asked twice, numbered once
    assert await numbering.take_number(db, 2026, "inv_d") == 4


async def test_a_block_taken_before_a_crash_gives_each_invoice_the_same_number_again(dbs):
    db, _ = dbs
    first = await _together(db, ["inv_x", "inv_y", "inv_z"])     # codes never written
    again = await _together(db, ["inv_z", "inv_x"])                # the sweep, or a re-run
    assert (first, again) == ([1, 2, 3], [3, 1])
    assert await numbering.take_number(db, 2026, "inv_y") == 2
    assert (await db.counters.find_one({"_id": "invoice:2026"}))["n"] == 3
