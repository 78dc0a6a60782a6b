"""A GroupedDatabase on a fresh database of five documents, with a command counter, for the
grouped reads' and grouped writes' tests (tests/mongo/test_grouped*.py)."""
import uuid
from contextlib import asynccontextmanager

from pymongo import AsyncMongoClient

from service.mongo.grouped import GroupedDatabase
from tests.handlers.test_store_commands import CommandCounter


@asynccontextmanager
async def grouped_database(mongo_uri: str, docs: list[dict]):
    counter = CommandCounter()
    client = AsyncMongoClient(mongo_uri, tz_aware=True, event_listeners=[counter])
    name = f"saldo_test_{uuid.uuid4().hex[:12]}"
    await client[name].docs.insert_many(docs)
    db = GroupedDatabase(client[name])
    try:
        yield db, counter
    finally:
        await db.close()
        await client.drop_database(name)
        await client.close()
