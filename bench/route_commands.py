"""Store commands per webhook by workspace count (issue 16, "flat with size"), run by hand.

A deterministic companion of bench/compare.py: the app in this process (`create_app`, one web
process, a PyMongo command listener on its clients) on a fresh embedded NX-27017; for each
`--workspaces` W, one workspace created through the API and the others copied in bulk
(bench/seed_scale.py), then `--requests` signed single-status `delivered` webhooks (distinct
wamids, round-robin over the W phone numbers) over `--connections` concurrent clients. Prints
the commands per webhook by command and collection, and checks every wallet to the rupiah.

    .venv/bin/python bench/route_commands.py --workspaces 1,1000,10000
"""
import argparse, asyncio, cProfile, hashlib, hmac, json, os, pstats, secrets, sys, tempfile, time  # noqa: E401
from collections import Counter
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from seed_scale import seed_workspaces, wallets_exact  # noqa: E402
from webhooks import Workspace  # noqa: E402

from service.mongo.embedded import EmbeddedServer  # noqa: E402
from service.runtime.app import create_app  # noqa: E402
from service.runtime.context import SERVICES  # noqa: E402
from service.runtime.settings import Settings  # noqa: E402

ADMIN, SECRET = "bench-admin", "bench-secret"


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        self.seen[f"{event.command_name} {target if isinstance(target, str) else ''}".strip()] += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def body(phone: str, wamid: str) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "62811" + phone[-6:], "phone_number_id": phone},
            "statuses": [{"id": wamid, "status": "delivered", "timestamp": str(int(time.time())),
                          "recipient_id": "6281234567890", "pricing": {
                              "billable": True, "pricing_model": "PMP", "type": "regular",
                              "category": "service"}}]}}]}]}, separators=(",", ":")).encode()


def cpu_of(pid: int) -> float:
    """user + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_count(uri: str, workspaces: int, args, store_pid: int) -> bool:
    commands, run = Commands(), f"{secrets.randbelow(10**6):06d}"
    settings = Settings(mongodb_uri=uri, mongodb_db=f"rc{run}", whatsapp_log_db=f"rc{run}_wa",
                        admin_token=ADMIN, whatsapp_app_secrets=(SECRET,), event_listeners=(commands,))
    client = TestClient(TestServer(create_app(settings, background=False)))
    await client.start_server()
    try:
        phones = [f"97{run}{k:07d}" for k in range(workspaces)]
        resp = await client.post("/v1/workspaces", json={"name": "rc", "phone_number_ids": phones[:1]},
                                 headers={"Authorization": f"Bearer {ADMIN}"})
        first = (await resp.json())["workspace"]["id"]
        db, routing = client.server.app[SERVICES].db, client.server.app[SERVICES].routing
        ids = [first] + await seed_workspaces(db, first, phones[0], phones[1:], run)
        made = [Workspace(ws, "", pn) for ws, pn in zip(ids, phones)]
        todo, tag = list(range(args.requests)), "W"

        async def worker() -> None:
            while todo:
                i = todo.pop(0)
                raw = body(phones[i % workspaces], f"wamid.RC{run}{tag}{i:08d}")
                sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                async with client.post("/webhooks/whatsapp", data=raw, headers={
                        "Content-Type": "application/json", "X-Hub-Signature-256": sig}) as r:
                    assert r.status == 200, await r.text()
                made[i % workspaces].service += 1
        if args.warm:       # the same numbers once before, uncounted: each comes back (steady state)
            await asyncio.gather(*(worker() for _ in range(args.connections)))
            await client.server.app[SERVICES].whatsapp.marks.close()
            routing.hits = routing.misses = 0
        todo, tag = list(range(args.requests)), "N"
        commands.seen.clear()
        t0, cpu = time.perf_counter(), (time.process_time(), cpu_of(store_pid))
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        await asyncio.gather(*(worker() for _ in range(args.connections)))
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        wall = time.perf_counter() - t0
        cpu = (time.process_time() - cpu[0], cpu_of(store_pid) - cpu[1])
        await client.server.app[SERVICES].whatsapp.marks.close()
        seen = dict(commands.seen)
        bad = await wallets_exact(db, {ws.id: ws.expected() for ws in made})
    finally:
        await client.close()
    per = {k: v / args.requests for k, v in sorted(seen.items(), key=lambda kv: -kv[1])}
    print(f"\n{workspaces} workspaces, {args.requests} webhooks over {args.connections} connections "
          f"({wall:.1f} s): {sum(seen.values()) / args.requests:.2f} store commands per webhook")
    print("  " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    print(f"  CPU ms per webhook: this process (app and clients) {1000 * cpu[0] / args.requests:.2f}, "
          f"the store {1000 * cpu[1] / args.requests:.2f}; route cache: {len(routing._routes)} routes, "
          f"{len(client.server.app[SERVICES].ledger.remembered)} wallets remembered, "
          f"{getattr(routing, 'hits', '?')} hits, {getattr(routing, 'misses', '?')} misses")
    print(f"  wallets exact: {len(made) - len(bad)}/{len(made)}" + "".join("\n" + b for b in bad[:5]))
    return not bad


async def main(args) -> int:
    server = EmbeddedServer(Path(tempfile.mkdtemp(prefix="saldo-route-commands-")))
    uri = await server.start()
    try:
        results = [await one_count(uri, int(w), args, server.pid) for w in args.workspaces.split(",")]
    finally:
        server.stop()
    print("PASS" if all(results) else "FAIL")
    return 0 if all(results) else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspaces", default="1,1000,10000", help="comma-separated counts, one run each")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--warm", action="store_true", help="send the same numbers once before, uncounted")
    ap.add_argument("--profile", action="store_true", help="cProfile the webhooks (this process)")
    sys.exit(asyncio.run(main(ap.parse_args())))
