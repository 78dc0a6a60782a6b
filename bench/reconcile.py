"""What reconcile costs per workspace (issue 18), run by hand (not a test).

Starts a fresh embedded NX-27017 (or uses MONGODB_URI), creates `--workspaces` Growth
workspaces, each with a paid top-up (invoice, payment, top-up, ledger credit) and `--charges`
WhatsApp charges, then runs `service.reconcile.reconcile` over all of them and prints the time
and the store commands per workspace (a PyMongo command listener on the service's client).

    .venv/bin/python bench/reconcile.py [--workspaces 200] [--charges 100]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from pymongo import monitoring

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

    def started(self, event) -> None:
        if event.command_name not in self.IGNORED:
            self.counts[event.command_name] += 1
            target = event.command.get("collection") if event.command_name == "getMore" \
                else event.command.get(event.command_name)
            self._targets[event.request_id] = str(target)

    def succeeded(self, event) -> None:
        target = self._targets.pop(event.request_id, None)
        if target:
            self.ms[target] += event.duration_micros / 1000

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
            commands.counts.clear()
            commands.ms.clear()
            started = time.perf_counter()
            report = await reconcile(svc)
            elapsed = time.perf_counter() - started
            assert report.ok and len(report.workspaces) == workspaces, report.violations[:3]
            total = sum(commands.counts.values())
            print(f"store: {'MONGODB_URI' if server is None else 'embedded NX-27017'}; "
                  f"{workspaces} workspaces, {charges} charges + grant + top-up each")
            print(f"reconcile: {elapsed:.2f} s, {1000 * elapsed / workspaces:.1f} ms and "
                  f"{total / workspaces:.2f} store commands per workspace "
                  f"({dict(commands.counts)})")
            print("store time per workspace, ms: " + ", ".join(
                f"{c} {ms / workspaces:.1f}" for c, ms in commands.ms.most_common()))
            await svc.db.client.drop_database(settings.mongodb_db)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--charges", type=int, default=100, help="charges per workspace")
    args = parser.parse_args()
    asyncio.run(main(args.workspaces, args.charges))
