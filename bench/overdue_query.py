"""The recovery sweep's overdue find at scale, run by hand (not a test): issue 16.

Starts a fresh embedded NX-27017 (or uses MONGODB_URI), stores `--records` delivered message
records of which one in 1,000 still awaits its category (the rest charged inline or by the
sweep), and times, alternating, the find as it was (`charge_key: null, category: null,
delivered_seen_ms <= cutoff`, on the `delivered_seen_ms` index) and as `awaiting_charge` makes
it now (`awaiting_ms <= cutoff`, on its own index).

    .venv/bin/python bench/overdue_query.py [--records 100000] [--rounds 5]

(PYTHONPATH=.: from a worktree, so that `service` is this checkout's.)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's service/
from service.mongo.embedded import EmbeddedServer  # noqa: E402
from service.mongo.store import connect, ensure_indexes  # noqa: E402
from service.whatsapp.log import MongoWhatsAppLog  # noqa: E402

NOW_MS = 1_795_144_627_000


def record(i: int) -> dict:
    doc = {"_id": f"wamid.bench.{i:09d}", "workspace_id": "ws_bench", "rank": 3,
           "first_seen_ms": NOW_MS - i, "delivered_seen_ms": NOW_MS - i}
    if i % 1000 == 0:
        doc["awaiting_ms"] = doc["delivered_seen_ms"]
    elif i % 2:
        doc.update(category="service", pricing={"billable": True, "category": "service"})
    else:
        doc["charge_key"] = f"wa:{i}"
    return doc


async def run(uri: str, records: int, rounds: int) -> None:
    db = connect(uri).saldo_bench_overdue
    await db.wa_upgrades.insert_one({"_id": "awaiting_ms", "done": True})
    await ensure_indexes(db, whatsapp_log=True)
    for start in range(0, records, 5000):
        await db.wa_messages.insert_many([record(i) for i in range(start, min(start + 5000, records))])
    log = MongoWhatsAppLog(db)
    cutoff = datetime.fromtimestamp((NOW_MS + 1) / 1000, timezone.utc)
    old = {"charge_key": None, "category": None, "delivered_seen_ms": {"$lte": NOW_MS + 1}}
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(rounds):
        t = time.perf_counter()
        found_before = [d async for d in db.wa_messages.find(old).limit(500)]
        times["before"].append(time.perf_counter() - t)
        t = time.perf_counter()
        found_after = await log.awaiting_charge(cutoff, 500)
        times["after"].append(time.perf_counter() - t)
    assert len(found_before) == len(found_after) == min(500, (records + 999) // 1000)
    print(f"{records} records, {len(found_after)} awaiting, load {os.getloadavg()[0]:.1f}")
    print("  rounds:", {k: [round(x * 1000, 1) for x in v] for k, v in times.items()})
    for label, seen in times.items():
        print(f"  {label}: median {statistics.median(seen) * 1000:.1f} ms "
              f"(min {min(seen) * 1000:.1f}, max {max(seen) * 1000:.1f}) over {rounds}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if os.environ.get("MONGODB_URI"):
        await run(os.environ["MONGODB_URI"], args.records, args.rounds)
        return
    server = EmbeddedServer(Path(tempfile.mkdtemp()))
    try:
        await run(await server.start(), args.records, args.rounds)
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
