"""What the ledger's flush across wallets (service/wallet/ledger_batch.py) relies on: an
unordered `bulk_write` of conditional replaces is one `update` command, applies every statement
whose filter matches, and reports exactly how many matched (NX-27017 and MongoDB alike)."""
from pymongo import AsyncMongoClient, ReplaceOne

from tests.whatsapp.test_webhook_store_commands import Commands


async def test_an_unordered_bulk_of_conditional_replaces_reports_what_matched(settings):
    commands = Commands()
    client = AsyncMongoClient(settings.mongodb_uri, event_listeners=[commands])
    try:
        docs = client[settings.mongodb_db].docs
        await docs.insert_many([{"_id": f"d{i}", "seq": 0} for i in range(4)])
        commands.seen.clear()
        result = await docs.bulk_write([
            ReplaceOne({"_id": f"d{i}", "seq": 1 if i == 2 else 0},
                       {"_id": f"d{i}", "seq": 1, "writer": "t"}) for i in range(4)],
            ordered=False)
        assert commands.seen == [("update", "docs")]
        assert result.matched_count == 3
        assert [d["_id"] async for d in docs.find({"writer": "t"}).sort("_id", 1)] == [
            "d0", "d1", "d3"]
        assert await docs.find_one({"_id": "d2"}) == {"_id": "d2", "seq": 0}
    finally:
        await client.close()
