"""Time one billing pass over N subscriptions due at one boundary (issue 16, item 5), run by hand.

Two workspaces are created through the use case (`create_workspace`, at T0): one on Free, one on
Growth (complimentary first month). Their documents in every collection (workspace, phone number,
API key, subscription, wallet, ledger grant) are then copied N/2 times each with new ids, by
direct inserts in the stored schema, exactly as the app wrote them. One pass then runs at the
boundary + 1 minute (`service.subscriptions.billing_run.run_pass`, the jobs' composition
`open_services(..., whatsapp_log=False)`, on a fresh embedded NX-27017 or MONGODB_URI): each Free
subscription rolls over (new period, new grant, the old grant expired), each Growth one gets its
renewal invoice. Prints subscriptions/s, the pass's counts and the peak RSS during the pass.
`--profile-commands`: also the store time per command shape during the pass
(bench/command_profile.py). The pass ends with the full reconcile, since its store has no kept
run younger than SALDO_RECONCILE_EVERY (in service, the first pass of each hour): its time
within the pass is printed, and the pass's rate without it (bill20).

`--steady` (bill19): the month after, as every later month: the Free workspace is created a
period earlier and renewed once by a real pass before it is copied, the Growth one at that
boundary, and their events are copied too (each copy then has its `entitlements.changed` and
what that pass left, as a workspace that went through a pass has)."""
import argparse, asyncio, contextlib, dataclasses, os, secrets, sys, tempfile, time  # noqa: E401
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.command_profile import CommandProfile  # noqa: E402
from bench.seed_scale import replaced  # noqa: E402
from service.runtime.bootstrap import open_services  # noqa: E402
from service.runtime.clock import FrozenClock  # noqa: E402
from service.runtime.settings import Settings  # noqa: E402
from service.mongo.docs import to_ms  # noqa: E402
from service.subscriptions import billing_run  # noqa: E402
from service.subscriptions.billing_run import run_pass  # noqa: E402
from service.subscriptions.repository import due_at  # noqa: E402
from service.reconcile.reconcile import count_failing  # noqa: E402
from service.workspaces.workspaces import Principal, create_workspace  # noqa: E402

T0 = datetime(2026, 10, 5, 3, 0, tzinfo=timezone.utc)
COLLECTIONS = ("workspaces", "phone_numbers", "api_keys", "subscriptions", "wallets", "ledger")
CHUNK = 5_000


async def templates(svc, settings: Settings, clock: FrozenClock,
                    steady: bool) -> list[tuple[dict, dict]]:
    """(swappable strings, {collection: [docs]}) of one Free and one Growth workspace."""
    out: list[tuple[dict, dict]] = []
    for plan, gift in (("free", False), ("growth", True)):
        phone = f"99{plan}{secrets.randbelow(10**9)}"
        at = T0
        if steady and plan == "growth":            # the Free one renewed once, at its boundary
            at = (await svc.db.subscriptions.find_one({"_id": out[0][0]["id"]}))["current_period_end"]
            clock.set(at + timedelta(minutes=1))
            await run_pass(svc, at + timedelta(minutes=1))
        ws, _ = await create_workspace(svc, Principal("admin"), name=f"bench {plan}", phone_number_ids=[phone],
                                       plan=plan, reseller_id=None, now=at, tz=settings.tz, complimentary=gift)
        out.append(({"id": ws.id, "phone": phone}, {}))
    for names, docs in out:
        docs.update({c: await svc.db[c].find({"$or": [{"_id": names["id"]}, {"workspace_id": names["id"]}]})
                     .to_list(None) for c in COLLECTIONS + (("events",) if steady else ())})
        names["key"] = docs["api_keys"][0]["_id"]
    return out


async def seed(svc, templates_: list, n: int) -> None:
    t0 = time.perf_counter()
    made = 0
    for start in range(0, n - 2, CHUNK):
        batch = {c: [] for c in COLLECTIONS}
        for k in range(start, min(start + CHUNK, n - 2)):
            names, docs = templates_[k % 2]
            swaps = {names["id"]: f"ws_{k:016x}", names["phone"]: f"98{k:013d}",
                     names["key"]: secrets.token_hex(32)}
            for c in docs:
                batch.setdefault(c, []).extend(replaced(d, swaps) for d in docs[c])
            made += 1
        for c, copies in batch.items():
            if copies:
                await svc.db[c].insert_many(copies, ordered=False)
        print(f"  seeded {made + 2}/{n} ({time.perf_counter() - t0:.0f} s)", flush=True)


def cpu_by_process() -> dict[str, float]:
    """user + system CPU seconds so far of this process (the pass) and of its children (the
    embedded store), from /proc."""
    def stat(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    out = {"pass": (int(stat(os.getpid())[11]) + int(stat(os.getpid())[12])) / tick}
    for p in Path("/proc").iterdir():
        try:
            fields = stat(int(p.name)) if p.name.isdigit() else None
        except OSError:
            continue
        if fields and fields[1] == str(os.getpid()):
            out[f"store {p.name}"] = (int(fields[11]) + int(fields[12])) / tick
    return out


@contextlib.contextmanager
def timed_reconcile(took: list[float], cpu: dict[str, float]):
    """The pass's closing reconcile (`billing_run.check_reconciliation`): its wall time into
    `took`, the CPU it cost each process (as `cpu_by_process`) added to `cpu`."""
    real = billing_run.check_reconciliation

    async def timed(svc, now):
        t0, before = time.perf_counter(), cpu_by_process()
        try:
            return await real(svc, now)
        finally:
            took.append(time.perf_counter() - t0)
            for name, seconds in cpu_by_process().items():
                cpu[name] = cpu.get(name, 0.0) + seconds - before.get(name, 0.0)
    billing_run.check_reconciliation = timed
    try:
        yield
    finally:
        billing_run.check_reconciliation = real


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM starts again from VmRSS


def rss_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(args: argparse.Namespace) -> int:
    settings = Settings(mongodb_uri=os.environ.get("MONGODB_URI") or None,
                        mongodb_db=f"bench_billing_{secrets.token_hex(4)}",
                        data_dir=Path(tempfile.mkdtemp(prefix="saldo-billing-run-")),
                        payment_provider="sandbox", payment_webhook_secret="bench")
    profile = CommandProfile()
    if args.profile_commands:
        settings = dataclasses.replace(settings, event_listeners=(profile,))
    clock = FrozenClock(T0)
    async with open_services(settings, clock, whatsapp_log=False) as svc:
        made = await templates(svc, settings, clock, args.steady)
        boundary = made[0][1]["subscriptions"][0]["current_period_end"]
        for _, docs in made:       # due at the boundary, as the pass before it left them
            sub_id = docs["subscriptions"][0]["_id"]
            await svc.db.subscriptions.update_one({"_id": sub_id}, {"$set": {
                "due": {"at": boundary}, "due_ms": to_ms(boundary)}})
            docs["subscriptions"] = [await svc.db.subscriptions.find_one({"_id": sub_id})]
        await seed(svc, made, args.subscriptions)
        now = boundary + timedelta(minutes=1)
        clock.set(now)
        reset_peak_rss()
        before = rss_mb("VmRSS")
        t0, cpu0 = time.perf_counter(), cpu_by_process()
        profile.on = True
        closing: list[float] = []
        closing_cpu: dict[str, float] = {}
        with timed_reconcile(closing, closing_cpu):
            report = await run_pass(svc, now)
        profile.on = False
        wall, cpu1 = time.perf_counter() - t0, cpu_by_process()
        peak = rss_mb("VmHWM")
        still_due = len(await due_at(svc, now, args.subscriptions))
        t1 = time.perf_counter()
        bad = await count_failing(svc)
        reconcile_s = time.perf_counter() - t1
    print(f"\n{args.subscriptions} subscriptions due at {boundary.isoformat()}, one pass at +1 min, "
          f"{'steady (copies of workspaces renewed once before), ' if args.steady else ''}"
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"  pass: {wall:.1f} s, {args.subscriptions / wall:.0f} subscriptions/s; report {report}")
    print(f"  peak RSS during the pass {peak:.0f} MB (before it {before:.0f} MB); still due after: "
          f"{still_due}; not reconciled: {bad}")
    print(f"  the reconcile that ends the pass, run again alone: {reconcile_s:.1f} s")
    renewals = wall - sum(closing)
    print(f"  of the pass, its closing reconcile: {sum(closing):.1f} s (the kept run is older than "
          f"SALDO_RECONCILE_EVERY here, as in the first pass of every hour); without it "
          f"{renewals:.1f} s, {args.subscriptions / renewals:.0f} subscriptions/s")
    print("  CPU during the pass, ms per subscription: " + ", ".join(
        f"{name} {1000 * (cpu1[name] - cpu0.get(name, 0.0)) / args.subscriptions:.2f}"
        for name in cpu1))
    closing_ms = {name: 1000 * closing_cpu.get(name, 0.0) / args.subscriptions for name in cpu1}
    print("    of which its closing reconcile: " + ", ".join(
        f"{name} {ms:.2f}" for name, ms in closing_ms.items()) + "; the renewals: " + ", ".join(
        f"{name} {1000 * (cpu1[name] - cpu0.get(name, 0.0)) / args.subscriptions - ms:.2f}"
        for name, ms in closing_ms.items()))
    if args.profile_commands:
        print(profile.table(args.subscriptions))
    ok = not bad and report.get("claimed") == args.subscriptions and not report.get("errors")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscriptions", type=int, default=10_000, help="N, at least 2")
    ap.add_argument("--steady", action="store_true",
                    help="the copies went through a pass already (see above)")
    ap.add_argument("--profile-commands", action="store_true",
                    help="print the store time per command shape during the pass")
    sys.exit(asyncio.run(main(ap.parse_args())))
