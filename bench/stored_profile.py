"""Where a webhook's store time goes on a kept data dir (issue 16: "the same figures after
1,000,000 stored messages"), run by hand: the app in this process (`create_app`, one web process,
bench/command_profile.py's listener on its clients) on the embedded stores of a stopped
service's `--data-dir` (e.g. kept from `bench/compare.py --stored-messages 1000000`, or from one
with none), `--requests` signed single-status `delivered` webhooks (new wamids, round-robin over
the stored phone numbers) over `--connections` clients. Prints the commands per webhook and the
store time per command shape (count, total, mean and max), to compare two data dirs.

    .venv/bin/python bench/stored_profile.py --data-dir /tmp/saldo-compare-… [--requests 3000]
"""
import argparse, asyncio, hashlib, hmac, os, secrets, sys, time  # noqa: E401
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from command_profile import CommandProfile  # noqa: E402
from route_commands import body  # noqa: E402

from service.runtime.app import create_app  # noqa: E402
from service.runtime.context import SERVICES  # noqa: E402
from service.runtime.settings import Settings  # noqa: E402

ADMIN, SECRET = "bench-admin", "bench-secret"


async def main(args) -> None:
    profile, run = CommandProfile(), secrets.token_hex(3)
    settings = Settings(data_dir=args.data_dir / "data", admin_token=ADMIN, whatsapp_app_secrets=(SECRET,),
                        event_listeners=(profile,), store_timeout=timedelta(seconds=30))
    client = TestClient(TestServer(create_app(settings, background=False)))
    await client.start_server()
    try:
        db = client.server.app[SERVICES].db
        phones = sorted([d["_id"] async for d in db.phone_numbers.find({}, {"_id": 1})])
        entries = await db.ledger.estimated_document_count()
        todo = list(range(args.requests))

        async def worker() -> None:
            while todo:
                i = todo.pop(0)
                raw = body(phones[i % len(phones)], f"wamid.SP{run}N{i:08d}")
                sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                async with client.post("/webhooks/whatsapp", data=raw, headers={
                        "Content-Type": "application/json", "X-Hub-Signature-256": sig}) as r:
                    assert r.status == 200, await r.text()
        profile.on = True
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.connections)))
        wall = time.perf_counter() - t0
        profile.on = False
    finally:
        await client.close()
    print(f"{args.data_dir}: {len(phones)} phone numbers, {entries} ledger entries; {args.requests} "
          f"webhooks over {args.connections} connections in {wall:.1f} s ({args.requests / wall:.0f}/s), "
          f"load average {os.getloadavg()[0]:.2f}")
    print(profile.table(args.requests).replace("per subscription", "per webhook"))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="the directory that holds data/")
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--connections", type=int, default=32)
    asyncio.run(main(ap.parse_args()))
