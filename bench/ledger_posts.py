"""The wallet ledger alone (service/wallet/ledger.py), run by hand: P processes post concurrent
one-charge posts round-robin over W wallets of one embedded NX-27017 (or MONGODB_URI), each
process `--concurrency` at a time. Prints posts/s and, per process, store commands per post
(counted by a PyMongo command listener) and its own CPU time per post: both far less noisy
than wall-clock on a shared machine,
then checks that every charge is in the ledger once and every wallet equals its charges.

    .venv/bin/python bench/ledger_posts.py --processes 2 --wallets 100
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from pymongo import AsyncMongoClient, monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from billing.money import Money  # noqa: E402
from billing.wallet import LedgerIntent  # noqa: E402
from service.mongo.embedded import EmbeddedServer  # noqa: E402
from service.wallet.ledger import MongoLedger  # noqa: E402

START = 10 ** 9     # each wallet's top-up: no charge ever runs into arrears (no alerts)


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        self.seen[f"{event.command_name} {collection if isinstance(collection, str) else ''}"] += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def wallet_ids(count: int) -> list[str]:
    return [f"ws_bench{i:05d}" for i in range(count)]


async def one_process(uri: str, db: str, args: argparse.Namespace, index: int) -> None:
    commands = Commands()
    client = AsyncMongoClient(uri, event_listeners=[commands])
    ledger, wallets, now = MongoLedger(client[db]), wallet_ids(args.wallets), datetime.now(timezone.utc)
    numbers = iter(range(args.posts))

    async def poster() -> None:
        for i in numbers:
            await ledger.post(wallets[i % len(wallets)], [LedgerIntent(
                f"bench:{index}:{i}", "charge", "conversation", Money.idr(1), {})], now)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*[poster() for _ in range(args.concurrency)])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"posts_per_s": args.posts / elapsed, "cpu_ms": 1000 * cpu / args.posts,
                      "commands": commands.seen}))
    await client.close()


async def main(args: argparse.Namespace) -> bool:
    server = None
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        server = EmbeddedServer(Path(tempfile.mkdtemp(prefix="saldo-ledger-bench-")))
        uri = await server.start()
    db = f"ledger_bench_{os.getpid()}"
    client = AsyncMongoClient(uri)
    try:
        ledger, now = MongoLedger(client[db]), datetime.now(timezone.utc)
        for ws in wallet_ids(args.wallets):
            await ledger.open_wallet(ws, now)
            await ledger.post(ws, [LedgerIntent(f"topup:{ws}", "topup", "conversation",
                                                Money.idr(START), {})], now)
        children = [subprocess.Popen(
            [sys.executable, __file__, "--child", str(k), "--uri", uri, "--db", db,
             "--wallets", str(args.wallets), "--posts", str(args.posts),
             "--concurrency", str(args.concurrency)], stdout=subprocess.PIPE, text=True)
            for k in range(args.processes)]
        outs = [json.loads(child.communicate()[0]) for child in children]
        total = sum(o["posts_per_s"] for o in outs)
        print(f"{args.processes} process(es) x {args.concurrency} concurrent posts, "
              f"{args.wallets} wallets: {total:,.0f} posts/s")
        for k, out in enumerate(outs):
            per_post = sum(out["commands"].values()) / args.posts
            print(f"  process {k}: {per_post:.2f} store commands and {out['cpu_ms']:.2f} ms CPU "
                  f"per post {dict(out['commands'])}")
        charges = await client[db].ledger.count_documents({"kind": "charge"})
        spent = 0
        async for wallet in client[db].wallets.find({}, {"balances": 1}):
            spent += START - wallet["balances"]["conversation"]["purchased"]
        exact = charges == spent == args.processes * args.posts
        print(f"charges in the ledger {charges:,}, rupiah spent {spent:,}, expected "
              f"{args.processes * args.posts:,}: {'exact' if exact else 'NOT EXACT'}")
        return exact
    finally:
        await client.drop_database(db)
        await client.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--wallets", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32, help="concurrent posts per process")
    ap.add_argument("--posts", type=int, default=3000, help="posts per process")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--uri", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    cli = ap.parse_args()
    if cli.child is not None:
        asyncio.run(one_process(cli.uri, cli.db, cli, cli.child))
    else:
        sys.exit(0 if asyncio.run(main(cli)) else 1)
