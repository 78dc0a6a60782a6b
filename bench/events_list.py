"""GET /v1/events' query on a large `events` collection, run by hand (not a test): README,
"Events". Starts a fresh embedded NX-27017, creates Saldo's indexes, inserts N events over 200
workspaces of 20 resellers (as service/events/emit.py writes them), then times one page (50)
of each caller's list through service/events/repository.page: admin, a reseller, a workspace,
with a type filter, a time window, and the page after a cursor, newest and oldest first.

    .venv/bin/python bench/events_list.py [N]      # default 50,000
"""
import asyncio, sys, tempfile, time  # noqa: E401
from datetime import datetime, timedelta, timezone
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pymongo import AsyncMongoClient  # noqa: E402
from service.events.emit import event_doc  # noqa: E402
from service.events.repository import EventQuery, page  # noqa: E402
from service.mongo.docs import to_ms  # noqa: E402
from service.mongo.embedded import EmbeddedServer  # noqa: E402
from service.mongo.store import ensure_indexes  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
TYPES = ("invoice.created", "invoice.paid", "payment.succeeded", "topup.completed",
         "wallet.balance_low", "subscription.renewed")


async def timed(label, q, db, reps=10):
    docs, cursor = await page(db, q)
    start = time.perf_counter()
    for _ in range(reps):
        docs, cursor = await page(db, q)
    print(f"{label:52s} {1000 * (time.perf_counter() - start) / reps:8.1f} ms  "
          f"({len(docs)} events)", flush=True)
    return cursor


async def main():
    server = EmbeddedServer(Path(tempfile.mkdtemp()))
    client = AsyncMongoClient(await server.start())
    db = client.bench
    await ensure_indexes(db, whatsapp_log=False)
    for s in range(0, N, 1000):
        await db.events.insert_many([event_doc(
            TYPES[i % len(TYPES)], f"obj_{i}", f"ws_{i % 200}", f"rs_{i % 20}", {"n": i},
            T0 + timedelta(seconds=i)) for i in range(s, min(N, s + 1000))])
    print(f"{N} events", flush=True)
    mid = to_ms(T0 + timedelta(seconds=N // 2))
    for asc in (False, True):
        side = "oldest first" if asc else "newest first"
        for label, q in (("admin", EventQuery()), ("reseller", EventQuery(reseller_id="rs_7")),
                         ("workspace", EventQuery(workspace_id="ws_17")),
                         ("workspace, type=topup.completed",
                          EventQuery(workspace_id="ws_17", types=("topup.completed",))),
                         ("reseller, time window", EventQuery(
                             reseller_id="rs_7", after_ms=mid, before_ms=mid + 3_600_000))):
            q = EventQuery(**{**vars(q), "ascending": asc})
            cursor = await timed(f"{side}: {label}", q, db)
            if cursor:
                await timed(f"{side}: {label}, next page",
                            EventQuery(**{**vars(q), "cursor": cursor}), db)
    await client.close()
    server.stop()


asyncio.run(main())
