"""Webhooks while `/v1/admin/reconcile` runs (issue 16), run by hand on a data dir kept from a
`bench/compare.py --stored-messages N` run (its workspaces, phone numbers and ledger).

Starts `python -m service` of this checkout on `--data-dir` (the directory holding `data/`), then
sends single-status `delivered` webhooks at a fixed rate (open loop: a stalled store shows as
latency, not as fewer requests) round-robin over the stored phone numbers: first `--quiet`
seconds alone, then while one `GET /v1/admin/reconcile` runs. Prints p50/p99/max and the non-200
answers of each phase, the reconcile's status, time and `ok`, and the load average. The webhooks
charge new wamids: the data dir grows by their entries (a few thousand).

    .venv/bin/python bench/reconcile_during.py --data-dir /tmp/saldo-compare-…  [--rate 50]
"""
import argparse, asyncio, os, secrets, statistics, sys, time  # noqa: E401
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load import make_bodies, signed  # noqa: E402
from seed_scale import open_stores  # noqa: E402
from webhooks import SaldoClient, start_service, stop_service  # noqa: E402


class Sender:
    """One POST every 1/rate s, whatever the answers' times; (latency ms, status) of each."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str, bodies: list) -> None:
        self.session, self.url, self.secret, self.bodies = session, url, secret, bodies
        self.results: list[tuple[float, int]] = []

    async def one(self, body: str) -> None:
        t0 = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body.encode(), headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": "sha256=" + signed(self.secret, body)}) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = 0
        self.results.append((1000 * (time.perf_counter() - t0), status))

    async def run(self, rate: float, until) -> None:
        tasks, start, n = [], time.perf_counter(), 0
        while not until() and self.bodies:
            tasks.append(asyncio.create_task(self.one(self.bodies.pop()[1])))
            n += 1
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        await asyncio.gather(*tasks)


def summary(label: str, results: list[tuple[float, int]]) -> str:
    times = sorted(ms for ms, _ in results)
    if not times:
        return f"  {label}: no requests"
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    bad = sum(status != 200 for _, status in results)
    return (f"  {label}: {len(times)} webhooks, p50 {statistics.median(times):.0f} ms, p99 {p99:.0f} ms, "
            f"max {times[-1]:.0f} ms, non-200 {bad}")


async def main(args) -> None:
    proc, base = start_service(args, args.data_dir)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256),
                                         timeout=aiohttp.ClientTimeout(total=3600)) as session:
            client = SaldoClient(session, base, args.admin_token, time.monotonic() + 600)
            await client.wait_ready(proc)
            stores = open_stores(args.data_dir / "data")
            phones = sorted([d["_id"] async for d in stores[2].phone_numbers.find({}, {"_id": 1})])
            for store in stores[:2]:
                await store.close()
            tag = secrets.token_hex(3)
            bodies = make_bodies(int(args.rate * (args.quiet + args.limit)), phones, f"RD{tag}", 0)
            bodies.reverse()
            quiet = Sender(session, base + "/webhooks/whatsapp", args.app_secret, bodies)
            load0 = os.getloadavg()
            t_end = time.perf_counter() + args.quiet
            await quiet.run(args.rate, lambda: time.perf_counter() >= t_end)
            during = Sender(session, base + "/webhooks/whatsapp", args.app_secret, bodies)
            answer: dict = {}

            async def reconcile() -> None:
                t0 = time.perf_counter()
                answer["status"], data = await client.api("GET", "/v1/admin/reconcile", args.admin_token)
                answer["s"] = time.perf_counter() - t0
                answer["ok"] = isinstance(data, dict) and data.get("ok")
                answer["workspaces"] = len(data.get("workspaces", [])) if isinstance(data, dict) else 0
            load1 = os.getloadavg()
            task = asyncio.create_task(reconcile())
            t_cap = time.perf_counter() + args.limit
            await during.run(args.rate, lambda: task.done() or time.perf_counter() >= t_cap)
            if not task.done():
                task.cancel()
                answer.update(status=f"none yet (gave up after {args.limit} s)", s=float(args.limit),
                              ok=None, workspaces=0)
            else:
                await task
            print(f"{len(phones)} phone numbers, {args.rate:.0f} webhooks/s, load average "
                  f"{load0[0]:.2f} / {load1[0]:.2f} / {os.getloadavg()[0]:.2f}")
            print(summary(f"webhooks alone ({args.quiet} s)", quiet.results))
            print(summary("webhooks during the reconcile", during.results))
            print(f"  reconcile: HTTP {answer['status']} in {answer['s']:.1f} s, ok={answer['ok']}, "
                  f"{answer['workspaces']} workspaces")
    finally:
        print(f"service stopped (exit code {stop_service(proc)})", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="the directory that holds data/")
    ap.add_argument("--rate", type=float, default=50, help="webhooks per second")
    ap.add_argument("--quiet", type=int, default=20, help="seconds of webhooks before the reconcile")
    ap.add_argument("--limit", type=int, default=900, help="seconds to wait for the reconcile at most")
    asyncio.run(main(ap.parse_args()))
