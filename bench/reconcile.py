"""What reconcile costs per workspace (issue 18), run by hand (not a test).

Starts a fresh embedded NX-27017 (or uses MONGODB_URI), creates `--workspaces` Growth
workspaces, each with a paid top-up (invoice, payment, top-up, ledger credit) and `--charges`
WhatsApp charges, then runs `service.reconcile.reconcile` over all of them and prints the time
and the store commands per workspace (a PyMongo command listener on the service's client).

    .venv/bin/python bench/reconcile.py [--workspaces 200] [--charges 100]

With `--data-dir DIR` (the directory holding `data/` of a stopped service, e.g. one kept from
`bench/compare.py --stored-messages 1000000`) it seeds nothing and reconciles what is stored, on
its embedded stores. Either way it prints the longest store commands (issue 16: no command may
hold the store for seconds; NX-27017 runs one command at a time).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's service/

from billing.charging import charge_intent
from billing.money import Money
from billing.rates import RateCard
from jobs.run import running_services
from service.mongo.embedded import EmbeddedServer
from service.payments.sandbox_checkout import press
from service.reconcile.reconcile import reconcile
from service.runtime.clock import FrozenClock
from service.runtime.settings import Settings
from service.topups.topups import order_topup
from service.workspaces.workspaces import Principal, create_workspace

NOW = datetime(2026, 11, 21, 3, tzinfo=timezone.utc)


class Commands(monitoring.CommandListener):
    """Commands by name, and the store's time by collection (ms, as the driver saw it)."""
    IGNORED = ("hello", "isMaster", "ismaster", "ping", "endSessions")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.ms: Counter[str] = Counter()
        self._targets: dict[int, str] = {}
        self.longest: list[tuple[float, str]] = []     # (ms, the command's shape)
        self._shapes: dict[int, str] = {}

    def started(self, event) -> None:
        if event.command_name not in self.IGNORED:
            self.counts[event.command_name] += 1
            target = event.command.get("collection") if event.command_name == "getMore" \
                else event.command.get(event.command_name)
            self._targets[event.request_id] = str(target)
            self._shapes[event.request_id] = f"{event.command_name} {target} " + str(
                {k: event.command.get(k) for k in ("filter", "sort", "limit") if k in event.command})[:160]

    def succeeded(self, event) -> None:
        target = self._targets.pop(event.request_id, None)
        shape = self._shapes.pop(event.request_id, "")
        if target:
            self.ms[target] += event.duration_micros / 1000
            self.longest = sorted(self.longest + [(event.duration_micros / 1000, shape)])[-5:]

    def failed(self, event) -> None:
        pass


async def history(svc, i: int, charges: int) -> None:
    workspace, _ = await create_workspace(
        svc, Principal("admin"), name=f"B{i}", phone_number_ids=[str(10**14 + i)],
        plan="growth", reseller_id=None, now=NOW, tz=svc.settings.tz, complimentary=True)
    placed = await order_topup(svc, workspace, "conversation", Money.idr(50_000), f"seed{i}", NOW)
    await press(svc, placed.payment.id, "succeeded", NOW)
    intents = [charge_intent(f"wamid.{i}.{n}", "service", RateCard(), inferred=False)
               for n in range(charges)]
    for start in range(0, len(intents), 400):
        await svc.ledger.post(workspace.id, intents[start:start + 400], NOW)


def longest(commands: Commands) -> str:
    return "longest store commands:\n" + "\n".join(f"  {ms:9.1f} ms  {shape}"
                                                   for ms, shape in reversed(commands.longest))


async def timed_reconcile(svc, commands: Commands):
    """One full reconcile, its seconds and its store commands (the counts start from zero)."""
    commands.counts.clear()
    commands.ms.clear()
    commands.longest.clear()
    started = time.perf_counter()
    report = await reconcile(svc)
    return report, time.perf_counter() - started, sum(commands.counts.values())


async def stored(data_dir: Path) -> None:
    """Reconcile what a stopped service's data dir holds, with a 10-minute store timeout."""
    from datetime import timedelta
    from service.runtime.bootstrap import open_services
    commands = Commands()
    settings = Settings(data_dir=data_dir / "data", mongodb_db="saldo", event_listeners=(commands,),
                        store_timeout=timedelta(minutes=10))
    async with open_services(settings, FrozenClock(NOW), whatsapp_log=False) as svc:
        entries = await svc.db.ledger.estimated_document_count()
        report, elapsed, total = await timed_reconcile(svc, commands)
        print(f"{data_dir}: {len(report.workspaces)} workspaces, {entries} ledger entries; "
              f"reconcile ok={report.ok} in {elapsed:.1f} s, {total} store commands "
              f"({dict(commands.counts)}); load average {os.getloadavg()[0]:.2f}")
        print("store time, s: " + ", ".join(f"{c} {ms / 1000:.1f}" for c, ms in commands.ms.most_common()))
        print(longest(commands))


async def main(workspaces: int, charges: int) -> None:
    server = None
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        server = EmbeddedServer(Path(tempfile.mkdtemp(prefix="saldo-reconcile-")))
        uri = await server.start()
    commands = Commands()
    settings = Settings(mongodb_uri=uri, mongodb_db=f"bench_reconcile_{int(time.time())}",
                        payment_provider="sandbox", payment_webhook_secret="bench",
                        event_listeners=(commands,))
    try:
        async with running_services(settings, FrozenClock(NOW)) as svc:
            for start in range(0, workspaces, 20):
                await asyncio.gather(*(history(svc, i, charges) for i in
                                       range(start, min(start + 20, workspaces))))
            report, elapsed, total = await timed_reconcile(svc, commands)
            assert report.ok and len(report.workspaces) == workspaces, report.violations[:3]
            print(f"store: {'MONGODB_URI' if server is None else 'embedded NX-27017'}; "
                  f"{workspaces} workspaces, {charges} charges + grant + top-up each")
            print(f"reconcile: {elapsed:.2f} s, {1000 * elapsed / workspaces:.1f} ms and "
                  f"{total / workspaces:.2f} store commands per workspace "
                  f"({dict(commands.counts)})")
            print("store time per workspace, ms: " + ", ".join(
                f"{c} {ms / workspaces:.1f}" for c, ms in commands.ms.most_common()))
            print(longest(commands))
            await svc.db.client.drop_database(settings.mongodb_db)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--charges", type=int, default=100, help="charges per workspace")
    parser.add_argument("--data-dir", type=Path, help="reconcile a stopped service's data (no seeding)")
    args = parser.parse_args()
    asyncio.run(stored(args.data_dir) if args.data_dir else main(args.workspaces, args.charges))
