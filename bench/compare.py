"""Saldo against the naive handler (bench/naive_handler.py), side by side, run by hand (issue 16).

Both run on their own embedded NX-27017 (Saldo: `python -m service`, free ports, temporary data
dirs). The same kind of pre-signed single-status `delivered` webhooks (category `service`,
distinct wamids, round-robin over the workspaces' phone numbers) are replayed at each with wrk
(`-s bench/replay.lua`; an aiohttp client when wrk is not installed), alternating naive, Saldo,
naive, Saldo... Prints requests/s, the ratio, p50/p99 and peak RSS. After Saldo's runs, every
wamid wrk may have sent is sent once more (duplicates charge nothing), so each wallet must equal
the exact expected rupiah (every wallet read from the store, a sample also through the API);
/v1/admin/reconcile must be ok. Exit 0 only if the money is exact. The workspaces and the
--stored-messages are seeded in bulk in the stored schema (bench/seed_scale.py)."""
import argparse, asyncio, json, os, random, secrets, shutil, subprocess, sys, tempfile, time  # noqa: E401
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load import HERE, THREADS, delivered, make_bodies, run_aiohttp, run_wrk, signed, write_tsv  # noqa: E402
from procfs import proc_status  # noqa: E402
from webhooks import SaldoClient, Workspace, start_service, stop_service  # noqa: E402
from seed_scale import (MessageSeeder, open_stores, reconcile_in_process, seed_workspaces,  # noqa: E402
                        status_body, store_cpu, wallets_exact)

from service.mongo.embedded import EmbeddedServer, free_port  # noqa: E402

NAIVE_SECRET = "perf-secret"


async def post_all(client: SaldoClient, bodies: list, secret: str) -> int:
    queue, failed = list(bodies), 0

    async def worker() -> None:
        nonlocal failed
        while queue:
            body = queue.pop()[1]
            async with client.session.post(client.url, data=body.encode(), headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": "sha256=" + signed(secret, body)}) as resp:
                await resp.read()
                failed += resp.status != 200
    await asyncio.gather(*(worker() for _ in range(32)))
    return failed


def descendants(pid: int) -> list[int]:
    kids = [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and proc_status(int(p.name)).get("PPid") == str(pid)]
    return kids + [d for k in kids for d in descendants(k)]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """pid -> user + system CPU seconds so far (/proc/<pid>/stat), a load-independent cost."""
    out = {}
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def cpu_line(before: dict[int, float], after: dict[int, float], requests: int) -> str:
    """CPU ms per request of each process over one run, and their sum."""
    used = {p: after[p] - before.get(p, 0.0) for p in after}
    parts = [f"pid {p} {1000 * u / requests:.2f}" for p, u in sorted(used.items()) if u > 0]
    return f"CPU ms/request {1000 * sum(used.values()) / requests:.2f} ({', '.join(parts)})"


def rss_line(label: str, pid: int) -> str:
    parts = []
    for p in [pid] + descendants(pid):
        info = proc_status(p)
        cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60] \
            if Path(f"/proc/{p}/cmdline").exists() else "?"
        parts.append(f"    pid {p:<7} peak {int(info.get('VmHWM', '0 kB').split()[0]) / 1024:6.1f} MB  {cmd}")
    return f"  {label}:\n" + "\n".join(parts)


async def create_workspaces(client: SaldoClient, db, phones: list[str], run: str) -> list[Workspace]:
    """The first through the API, the others copied from it in the stored schema (bench/seed_scale.py)."""
    status, data = await client.api("POST", "/v1/workspaces", client.admin_token,
                                    {"name": f"cmp-{run}-0", "phone_number_ids": [phones[0]]})
    if status != 201:
        raise SystemExit(f"POST /v1/workspaces -> {status}: {data}")
    first = Workspace(data["workspace"]["id"], data["api_key"], phones[0])
    ids = await seed_workspaces(db, first.id, phones[0], phones[1:], run) if len(phones) > 1 else []
    return [first] + [Workspace(ws, "", pn) for ws, pn in zip(ids, phones[1:])]


async def check_money(client: SaldoClient, db, workspaces: list[Workspace], args) -> bool:
    """Every wallet read from the store at once; a sample of them also through the API (as the
    admin); then /v1/admin/reconcile over all workspaces."""
    t0 = time.perf_counter()
    bad = await wallets_exact(db, {ws.id: ws.expected() for ws in workspaces})
    print(f"wallets exact (read from the store): {len(workspaces) - len(bad)}/{len(workspaces)} "
          f"({time.perf_counter() - t0:.1f} s)" + "".join("\n" + b for b in bad[:10]), flush=True)
    sample = args.api_sample
    picked = workspaces if len(workspaces) <= sample else random.Random(7).sample(workspaces, sample)
    api_bad = []
    for ws in picked:
        got = await client.wallet(Workspace(ws.id, client.admin_token, ws.phone))
        if got != ws.expected():
            api_bad.append(f"  MISMATCH (API) {ws.id} ({ws.service} wamids): expected {ws.expected()} got {got}")
    print(f"wallets exact through GET …/wallet: {len(picked) - len(api_bad)}/{len(picked)}"
          + ("" if len(picked) == len(workspaces) else f" (a sample of {len(workspaces)})")
          + "".join("\n" + b for b in api_bad[:10]), flush=True)
    t0 = time.perf_counter()
    status, data = await client.api("GET", "/v1/admin/reconcile", client.admin_token)
    recon = status == 200 and isinstance(data, dict) and data.get("ok") is True
    print(f"reconcile: HTTP {status} ok={recon} ({time.perf_counter() - t0:.1f} s)"
          + ("" if recon else f" {json.dumps(data)[:500]}"), flush=True)
    if status == 503:    # a store held past the service's 2 s timeout: the same check once it stopped
        args.reconcile_later, recon = [ws.id for ws in workspaces], True
        print("  (reconcile again in this process once the service stopped: main())", flush=True)
    return recon and not bad and not api_bad


async def start_naive(workdir: Path, phones: list[str]) -> tuple[subprocess.Popen, EmbeddedServer, str]:
    store = EmbeddedServer(workdir / "naive")
    uri = await store.start()
    (workdir / "phones.txt").write_text("\n".join(phones))
    port = free_port()
    with open(workdir / "naive.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, str(HERE / "naive_handler.py"), uri, str(port), NAIVE_SECRET,
                                 str(workdir / "phones.txt")], stdout=log, stderr=subprocess.STDOUT)
    return proc, store, f"http://127.0.0.1:{port}"


async def replay(side: str, url: str, bodies: list, secret: str, workdir: Path, args) -> dict:
    if args.client == "wrk":
        tsv = workdir / f"{side}.tsv"
        write_tsv(tsv, bodies, secret)
        return await asyncio.to_thread(run_wrk, url, tsv, args)
    return await run_aiohttp(url, bodies, secret, args)


async def bench(args, workdir: Path, saldo_proc, base: str) -> bool:
    run = f"{secrets.randbelow(10**6):06d}"
    phones = [f"9{run}{i:08d}" for i in range(args.workspaces)]
    naive_proc, naive_store, naive_url = await start_naive(workdir, phones)
    stores: tuple = ()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64),
                                         timeout=aiohttp.ClientTimeout(total=3600)) as session:
            client = SaldoClient(session, base, args.admin_token, time.monotonic() + 10**6)
            naive = SaldoClient(session, naive_url, "", time.monotonic() + 10**6)
            await client.wait_ready(saldo_proc)
            await naive.wait_ready(naive_proc)
            stores = open_stores(workdir / "data")    # once the service wrote their addresses
            args.store_dirs = (workdir / "data", workdir / "data" / "whatsapp-log")
            t0, cpu = time.perf_counter(), store_cpu(workdir / "data")
            workspaces = await create_workspaces(client, stores[2], phones, run)
            print(f"{len(workspaces)} workspaces created in {time.perf_counter() - t0:.1f} s (one through "
                  f"the API, the others copied in bulk; the store's CPU: "
                  f"{store_cpu(workdir / 'data') - cpu:.1f} s)", flush=True)
            by_phone = {ws.phone: ws for ws in workspaces}
            if args.stored_messages:
                await store_messages(client, stores, args, by_phone, phones, run)
            if args.warm_up:
                await warm_up(client, args, by_phone, phones, run)
            results = []
            for r in range(args.runs):
                for side, url, secret in (("naive", naive_url, NAIVE_SECRET),
                                          ("saldo", base, args.app_secret)):
                    bodies = make_bodies(args.per_run, phones, f"{run}{side[0]}{r}", r * args.per_run)
                    load = os.getloadavg()
                    pids = ([saldo_proc.pid] + descendants(saldo_proc.pid) if side == "saldo"
                            else [naive_proc.pid, naive_store.pid])
                    cpu = cpu_seconds(pids)
                    res = await replay(side, url, bodies, secret, workdir, args)
                    cpu = cpu_line(cpu, cpu_seconds(pids), max(1, sum(res["sent"].values())))
                    res.update(side=side, run=r, load=load)
                    results.append(res)
                    print(f"  {side:<6} run {r}: {res['rps']:8.0f} req/s  p50 {res['p50']:6.1f} ms  "
                          f"p99 {res['p99']:6.1f} ms  non-200 {res['errors']} {res['socket']}  "
                          f"load avg {load[0]:.2f}\n           {cpu}",
                          flush=True)
                    if side == "saldo":
                        done, again = delivered(bodies, res["sent"], 2 * args.connections)
                        for pn, _ in done:
                            by_phone[pn].service += 1
                        if await post_all(client, again, args.app_secret):
                            print("  some re-sent webhooks were not answered 200")
            summarize(results, args, saldo_proc.pid, naive_proc.pid)
            return await check_money(client, stores[2], workspaces, args)
    finally:
        for store_client in stores[:2]:
            await store_client.close()
        naive_proc.terminate()
        naive_proc.wait()
        naive_store.stop()


async def store_messages(client: SaldoClient, stores, args, by_phone: dict, phones: list[str], run: str) -> None:
    """--stored-messages: that many charged wamids first, 100 per payload, round-robin over the
    phone numbers; the first payload through the service, the rest in bulk (bench/seed_scale.py)."""
    t0, ts, cpu = time.perf_counter(), int(time.time()), [store_cpu(d) for d in args.store_dirs]
    blocks = [(phones[(start // 100) % len(phones)],
               [f"wamid.CMP{run}S{k:09d}" for k in range(start, min(start + 100, args.stored_messages))])
              for start in range(0, args.stored_messages, 100)]
    for pn, wamids in blocks:
        by_phone[pn].service += len(wamids)
    first = status_body(*blocks[0], ts)
    if await post_all(client, [(blocks[0][0], first)], args.app_secret):
        raise SystemExit("storing messages: the first POST was not answered 200")
    seeder = MessageSeeder(stores[2], stores[3], {pn: by_phone[pn].id for pn, _ in blocks}, first)
    await seeder.prepare()
    await seeder.seed(blocks[1:], ts)
    used = [store_cpu(d) - c for d, c in zip(args.store_dirs, cpu)]
    print(f"{args.stored_messages} messages stored in {time.perf_counter() - t0:.1f} s (100 through the "
          f"service, the others in bulk; the stores' CPU: {used[0]:.1f} s main, {used[1]:.1f} s log)", flush=True)


async def warm_up(client: SaldoClient, args, by_phone: dict, phones: list[str], run: str) -> None:
    """--warm-up N: one webhook to each of the first N phone numbers of every Saldo run, before
    the runs (charged and counted in the money): in the runs each number comes back, as it does
    at a steady state where Meta brought every number minutes ago (round-robin over 100,000)."""
    t0, bodies = time.perf_counter(), [
        b for r in range(args.runs) for b in make_bodies(
            min(args.warm_up, args.per_run, len(phones)), phones, f"{run}w{r}", r * args.per_run)]
    failed = await post_all(client, bodies, args.app_secret)
    for pn, _ in bodies:
        by_phone[pn].service += 1
    print(f"warm-up: {len(bodies)} webhooks in {time.perf_counter() - t0:.1f} s "
          f"({failed} not answered 200)", flush=True)


def summarize(results: list, args, saldo_pid: int, naive_pid: int) -> None:
    mean = lambda side, key: sum(r[key] for r in results if r["side"] == side) / args.runs  # noqa: E731
    print(f"\n{args.workspaces} workspaces, {args.stored_messages} stored messages, wrk "
          f"-t{THREADS} -c{args.connections} -d{args.duration}s, {os.cpu_count()} cores ({args.client})")
    for side in ("naive", "saldo"):
        print(f"  {side:<6} mean {mean(side, 'rps'):8.0f} req/s  p50 {mean(side, 'p50'):6.1f} ms  "
              f"p99 {mean(side, 'p99'):6.1f} ms")
    print(f"  ratio saldo/naive: {mean('saldo', 'rps') / mean('naive', 'rps'):.2f}  (per pair: "
          + ", ".join(f"{s['rps'] / n['rps']:.2f}" for n, s in zip(results[::2], results[1::2])) + ")")
    print("peak RSS (VmHWM):\n" + rss_line("saldo", saldo_pid) + "\n" + rss_line("naive", naive_pid))


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspaces", type=int, default=100, help="one phone number each")
    ap.add_argument("--stored-messages", type=int, default=0, help="charged wamids stored before the runs")
    ap.add_argument("--duration", type=int, default=15, help="seconds per run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--runs", type=int, default=2, help="pairs naive/Saldo, alternating")
    ap.add_argument("--per-run", type=int, help="distinct wamids per run (default 2,500/s x duration)")
    ap.add_argument("--client", choices=("wrk", "aiohttp"), default="wrk" if shutil.which("wrk") else "aiohttp")
    ap.add_argument("--api-sample", type=int, default=200, help="wallets also checked through the API")
    ap.add_argument("--warm-up", type=int, default=0, help="one webhook to each of the first N numbers "
                    "of every run, before the runs (a steady state: each number comes back)")
    ap.add_argument("--web-processes", help="SALDO_WEB_PROCESSES for Saldo (default: its own)")
    args = ap.parse_args()
    args.per_run = args.per_run or 2_500 * args.duration
    return args


def main() -> int:
    args = parse_args()
    if args.web_processes:
        os.environ["SALDO_WEB_PROCESSES"] = args.web_processes
    workdir, ok = Path(tempfile.mkdtemp(prefix="saldo-compare-")), False
    proc, base = start_service(args, workdir)
    try:
        ok = asyncio.run(bench(args, workdir, proc, base))
    finally:
        print(f"service stopped (exit code {stop_service(proc)}); log and data: {workdir}", flush=True)
        if ok and getattr(args, "reconcile_later", None):
            t0 = time.perf_counter()
            failing = asyncio.run(reconcile_in_process(workdir / "data", args.reconcile_later))
            ok = failing == 0
            print(f"reconcile in this process (one workspace at a time, on the stopped service's files): "
                  f"{failing} workspaces not reconciled ({time.perf_counter() - t0:.1f} s)")
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
            print(f"removed {workdir}: the money is exact")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
