"""What `GET /metrics` and its counting cost, run by hand (not a test): README, Metrics.

1. The hot path: the bookkeeping one charged webhook adds (time a webhook, count two applied
   charge intents), per call, in memory and in prometheus-client's multiprocess mode.
2. A scrape on a store that has lived: a fresh embedded NX-27017, N processed WhatsApp
   payloads, N charged message records, one a second until now (a few waiting for their
   category), N/10 payments and
   invoices (a few pending / unresolved), then the app's `/metrics` asked SCRAPES times.

    .venv/bin/python bench/metrics_scrape.py [N]      # default 50,000
"""
import asyncio, os, statistics, sys, tempfile, time, timeit  # noqa: E401
from datetime import datetime, timezone
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from prometheus_client import values  # noqa: E402
from billing.money import Money  # noqa: E402
from billing.wallet import LedgerIntent  # noqa: E402
from service.metrics.registry import Metrics  # noqa: E402
from service.mongo.docs import to_ms  # noqa: E402
from service.mongo.embedded import EmbeddedServer  # noqa: E402
from service.runtime.app import create_app  # noqa: E402
from service.runtime.clock import FrozenClock  # noqa: E402
from service.runtime.settings import Settings  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
SCRAPES = 20
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
INTENTS = [LedgerIntent("charge:a", "charge", "conversation", Money(30, "IDR")),
           LedgerIntent("charge:b", "charge", "broadcast", Money(650, "IDR"))]


def one_webhook(metrics: Metrics) -> None:
    with metrics.webhook() as seen:
        metrics.applied(INTENTS)
        seen.outcome = "processed"


def hot_path() -> None:
    for mode in ("in memory", "multiprocess"):
        if mode == "multiprocess":
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
            values.ValueClass = values.MultiProcessValue()
        metrics = Metrics()
        reps = 100_000
        seconds = timeit.timeit(lambda: one_webhook(metrics), number=reps)
        print(f"hot path, {mode:12s}: {seconds / reps * 1e6:6.2f} µs per charged webhook")


async def fill(db, log_db) -> None:
    for start in range(0, N, 5000):
        ids = range(start, min(N, start + 5000))
        await log_db.wa_payloads.insert_many([{"_id": f"p{i}", "body": b"{}", "received_ms": i,
                                               "processed_ms": i + 1, "attempts": 0} for i in ids])
        await log_db.wa_messages.insert_many([{
            "_id": f"wamid.{i}", "workspace_id": "ws", "rank": 3,
            "delivered_seen_ms": to_ms(NOW) - (N - i) * 1000,       # one a second until NOW
            "category": None if i % 5000 == 0 else "service",
            "charge_key": None if i % 5000 == 0 else f"charge:wamid.{i}"} for i in ids])
    await db.payments.insert_many([{"_id": f"pay{i}", "status": "pending" if i % 500 == 0 else
                                    "succeeded", "resolved": i % 1000 != 0} for i in range(N // 10)])
    await db.invoices.insert_many([{"_id": f"inv{i}", "status": "paid", "settled": i % 1000 != 0}
                                   for i in range(N // 10)])


async def scrapes() -> None:
    server = EmbeddedServer(Path(tempfile.mkdtemp()))
    uri = await server.start()
    try:
        settings = Settings(mongodb_uri=uri, mongodb_db="bench", whatsapp_log_db="bench_wa")
        client = TestClient(TestServer(create_app(settings, clock=FrozenClock(NOW),
                                                  background=False)))
        await client.start_server()
        from service.runtime.context import SERVICES
        svc = client.server.app[SERVICES]
        await fill(svc.db, svc.whatsapp.db)
        times = []
        for _ in range(SCRAPES):
            started = time.perf_counter()
            resp = await client.get("/metrics")
            await resp.read()
            times.append((time.perf_counter() - started) * 1000)
        print(f"scrape, {N:,} payloads and messages, {N // 10:,} payments and invoices: "
              f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
              f"({SCRAPES} scrapes)")
        await client.close()
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(scrapes())
    hot_path()
