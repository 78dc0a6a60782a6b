"""What the store costs per document on Saldo's webhook hot path, run by hand (not a test).

Starts a fresh embedded NX-27017 (or uses MONGODB_URI) and times, in batches of 100 like a
100-status webhook, each write the path makes: the message-record upsert (and the insert sent
instead for a message this process has not seen), the ledger insert, the wallet's conditional
write with a 100-entry journal (as Saldo stores it, and as a nested array for comparison), and
the raw payload insert. The per-document cost of the first two bounds the
batched webhook throughput whatever the service does.

    .venv/bin/python bench/store_ops.py [--docs 3000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pymongo import UpdateOne

from billing.whatsapp import StatusUpdate
from service.mongo.embedded import EmbeddedServer
from service.mongo.store import connect, ensure_indexes
from service.whatsapp.log import MongoWhatsAppLog, _as_new_document

PRICING = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "service"}
ENTRY = {"intent_key": "k", "workspace_id": "ws_0123456789abcdef", "balance": "conversation",
         "kind": "charge", "amount": -30, "currency": "IDR", "seq": 1,
         "meta": {"wamid": "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjA1QzFEMkUzRjRBNUI2QzdFMgA=",
                  "category": "service", "inferred_category": False},
         "delta": {"granted": -30, "purchased": 0, "arrears": 0},
         "after": {"granted": 100, "purchased": 0, "arrears": 0}, "applied_ms": 1}


async def timed(label: str, count: int, work) -> None:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    print(f"{label:58s} {count / elapsed:9.0f} /s  {1000 * elapsed / count:7.3f} ms each")


async def status_upserts(db, docs: int, state: str) -> None:
    now = datetime.now(timezone.utc)
    for start in range(0, docs, 100):
        ops = [UpdateOne({"_id": f"wamid.{i}"}, MongoWhatsAppLog._status_update(
            "ws", StatusUpdate("p", f"wamid.{i}", state, now, "628", None, "service", PRICING),
            now), upsert=True) for i in range(start, start + 100)]
        await db.wa_messages.bulk_write(ops, ordered=False)


async def status_inserts(db, docs: int) -> None:
    """What the hot path sends for a wamid this process has not seen: an insert of the document
    the upsert would create (service.whatsapp.log._write_statuses)."""
    now = datetime.now(timezone.utc)
    for start in range(0, docs, 100):
        await db.wa_messages.insert_many([{"_id": f"wamid.new.{i}", **_as_new_document(
            MongoWhatsAppLog._status_update("ws", StatusUpdate(
                "p", f"wamid.new.{i}", "delivered", now, "628", None, "service", PRICING), now))}
            for i in range(start, start + 100)], ordered=False)


async def ledger_inserts(db, docs: int) -> None:
    for start in range(0, docs, 100):
        await db.ledger.insert_many([{**ENTRY, "_id": f"charge:{i}", "order": i}
                                     for i in range(start, start + 100)], ordered=False)


async def wallet_writes(db, writes: int, journal, replace: bool) -> None:
    # NX-27017: an upserting replace needs the _id inside the replacement document
    await db.wallets.replace_one({"_id": "w"}, {"_id": "w", "seq": 0, "last": "[]"}, upsert=True)
    for _ in range(writes):
        wallet = await db.wallets.find_one({"_id": "w"})
        if replace:
            await db.wallets.replace_one({"_id": "w", "seq": wallet["seq"]},
                                         {**wallet, "seq": wallet["seq"] + 1, "last": journal})
        else:
            await db.wallets.update_one({"_id": "w", "seq": wallet["seq"]},
                                        {"$set": {"seq": wallet["seq"] + 1, "last": journal}})


async def payload_inserts(db, count: int) -> None:
    body = b"x" * 30_000  # about what 100 statuses weigh (stored as bytes, as the service does)
    for i in range(count):
        await db.wa_payloads.insert_one({"_id": f"p{i}", "body": body, "received_ms": i,
                                         "processed_ms": None})


async def main(docs: int) -> None:
    server = None
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        server = EmbeddedServer(Path(tempfile.mkdtemp(prefix="saldo-store-ops-")))
        uri = await server.start()
    client = connect(uri)
    db = client[f"store_ops_{int(time.time())}"]
    try:
        await ensure_indexes(db)
        print(f"store: {'MONGODB_URI' if server is None else 'embedded NX-27017'}; batches of 100")
        await timed("message record upsert, first status (new document)", docs,
                    lambda: status_upserts(db, docs, "sent"))
        await timed("message record upsert, later status (existing document)", docs,
                    lambda: status_upserts(db, docs, "delivered"))
        await timed("message record insert, first status (what is sent)", docs,
                    lambda: status_inserts(db, docs))
        await timed("ledger entry insert", docs, lambda: ledger_inserts(db, docs))
        entries = [{**ENTRY, "_id": f"e{i}"} for i in range(100)]
        await timed("wallet read + replace, 100-entry journal as a JSON string", 100,
                    lambda: wallet_writes(db, 100, json.dumps(entries), True))
        await timed("wallet read + $set update, 100 entries as a nested array", 100,
                    lambda: wallet_writes(db, 100, entries, False))
        await timed("raw payload insert (30 kB)", 200, lambda: payload_inserts(db, 200))
    finally:
        await client.drop_database(db.name)
        await client.close()
        if server:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000, help="documents per measurement")
    asyncio.run(main(parser.parse_args().docs))
