"""Saldo's tail latency over time (issue 16: p99 and latency spikes), run by hand.

Starts the service traced (bench/tail_trace.py: GC pauses, event-loop lag, group-commit flushes,
sweeps, each with the wall clock), creates the workspaces as bench/compare.py does (optionally
warms them up), then for each run replays single-status webhooks with wrk (the same load as
compare.py, Saldo only) while a probe client on its own connection sends one more webhook every
PROBE_EVERY s and records when it was sent and how long it took. Prints, per second of each run,
the probe's slowest request, the loop's worst lag, the GC pauses (generation 2 apart), the
longest group-commit flush and the sweeps running; then the slowest probe requests with what
the service was doing at that moment. Money is not checked here (bench/compare.py checks it)."""
import argparse, asyncio, json, os, secrets, signal, subprocess, sys, tempfile, time  # noqa: E401
from collections import defaultdict
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from compare import create_workspaces, warm_up  # noqa: E402
from load import HERE, THREADS, make_bodies, run_wrk, signed, write_tsv  # noqa: E402
from seed_scale import open_stores  # noqa: E402
from webhooks import SaldoClient, stop_service  # noqa: E402

from service.mongo.embedded import free_port  # noqa: E402

PROBE_EVERY = 0.01


def start_traced(args, workdir: Path, trace: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args.admin_token, args.app_secret = secrets.token_hex(16), secrets.token_hex(16)
    env = {**os.environ, "PORT": str(port), "SALDO_DATA_DIR": str(workdir / "data"),
           "SALDO_ADMIN_TOKEN": args.admin_token, "WHATSAPP_APP_SECRETS": args.app_secret,
           "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8), "LOG_LEVEL": "WARNING",
           "SALDO_WEB_PROCESSES": "1"}
    with open(workdir / "service.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, str(HERE / "tail_trace.py"), str(trace)],
                                cwd=HERE.parent, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


async def probe(url: str, bodies: list, secret: str, stop: float) -> list[tuple[float, float]]:
    """(sent at, wall clock; latency ms) of one request every PROBE_EVERY s, one at a time."""
    out = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for _, body in bodies:
            if time.time() >= stop:
                break
            t0, p0 = time.time(), time.perf_counter()
            async with session.post(url + "/webhooks/whatsapp", data=body.encode(), headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": "sha256=" + signed(secret, body)}) as resp:
                await resp.read()
            ms = (time.perf_counter() - p0) * 1000
            out.append((t0, ms))
            await asyncio.sleep(max(0.0, PROBE_EVERY - ms / 1000))   # a pace, not a synchronisation
    return out


def read_trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def timeline(samples: list, events: list[dict], t0: float, duration: int) -> None:
    """One line per second: probe n / max, loop lag max, GC, flush max, spans."""
    sec = defaultdict(lambda: {"n": 0, "max": 0.0, "lag": 0.0, "g01": 0.0, "g2": [],
                               "flush": (0.0, ""), "spans": set()})
    ended = {(e["name"], e["t"]) for e in events if e["k"] == "span"}
    for t, ms in samples:
        s = sec[int(t - t0)]
        s["n"] += 1
        s["max"] = max(s["max"], ms)
    for e in events:
        s = sec[int(e["t"] - t0)]
        if e["k"] == "lag":
            s["lag"] = max(s["lag"], e["ms"])
        elif e["k"] == "gc" and e["gen"] == 2:
            s["g2"].append(e["ms"])
        elif e["k"] == "gc":
            s["g01"] = max(s["g01"], e["ms"])
        elif e["k"] == "flush" and e["ms"] > s["flush"][0]:
            s["flush"] = (e["ms"], f"{e['name']}[{e['items']}]")
        elif e["k"] == "begin" and e["name"] != "revision.read" and (e["name"], e["t"]) not in ended:
            for k in range(int(e["t"] - t0), duration + 1):
                sec[k]["spans"].add(f"{e['name']} running")
        elif e["k"] == "span" and e["name"] != "revision.read":
            for k in range(int(e["t"] - t0), int(e["t"] + e["ms"] / 1000 - t0) + 1):
                sec[k]["spans"].add(f"{e['name']} {e['ms']:.0f}ms")
    print("  s   probes  max ms  lag ms  gc0/1 ms  gc2 ms       longest flush (ms, items)          spans")
    for k in range(0, duration + 1):
        s = sec[k]
        print(f"  {k:<3} {s['n']:>6} {s['max']:7.1f} {s['lag']:7.1f} {s['g01']:9.1f}  "
              f"{','.join(f'{g:.0f}' for g in s['g2']) or '-':<10} {s['flush'][0]:6.1f} {s['flush'][1]:<28} "
              f"{'; '.join(sorted(s['spans']))}")


def slowest(samples: list, events: list[dict], n: int = 10) -> None:
    ended = {(e["name"], e["t"]) for e in events if e["k"] == "span"}
    running = [e for e in events if e["k"] == "begin" and (e["name"], e["t"]) not in ended]
    print(f"  the {n} slowest probe requests, and what overlapped them:")
    for t, ms in sorted(samples, key=lambda s: -s[1])[:n]:
        over = [e for e in events if e["k"] != "begin" and e["t"] <= t + ms / 1000
                and e["t"] + e.get("ms", 0) / 1000 >= t]
        over += [{**e, "name": e["name"] + " (running)", "ms": 0} for e in running if e["t"] <= t]
        what = defaultdict(float)
        for e in over:
            name = {"gc": f"gc{e.get('gen')}", "lag": "lag"}.get(e["k"], e.get("name", e["k"]))
            what[name] = max(what[name], e.get("ms", 0))
        print(f"    {ms:7.1f} ms at {t:.2f}: " + ", ".join(f"{k} {v:.0f}ms" for k, v in
                                                      sorted(what.items(), key=lambda kv: -kv[1])[:6]))


def summary(samples: list, events: list[dict], t0: float, t1: float) -> str:
    lat = sorted(ms for t, ms in samples)
    pick = [e for e in events if t0 <= e["t"] <= t1]
    g2 = [e["ms"] for e in pick if e["k"] == "gc" and e["gen"] == 2]
    g01 = [e["ms"] for e in pick if e["k"] == "gc" and e["gen"] < 2]
    lag = [e["ms"] for e in pick if e["k"] == "lag"]
    lag_cpu = sum(e.get("cpu", 0) for e in pick if e["k"] == "lag")
    return (f"probe n={len(lat)} p50 {lat[len(lat) // 2]:.1f} p99 {lat[int(len(lat) * .99)]:.1f} "
            f"max {lat[-1]:.1f} ms; gen2 GCs {len(g2)} (max {max(g2, default=0):.0f} ms, "
            f"sum {sum(g2):.0f}), gen1 (and gen0 >= 1 ms) {len(g01)} (max {max(g01, default=0):.1f}); "
            f"loop lag >= 2 ms {len(lag)} (max {max(lag, default=0):.0f} ms, sum {sum(lag):.0f}, "
            f"CPU of the loop's thread meanwhile {lag_cpu:.0f})")


async def bench(args, workdir: Path, proc, base: str, trace: Path) -> None:
    run = f"{secrets.randbelow(10**6):06d}"
    phones = [f"9{run}{i:08d}" for i in range(args.workspaces)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3600)) as session:
        client = SaldoClient(session, base, args.admin_token, time.monotonic() + 10**6)
        await client.wait_ready(proc)
        stores = open_stores(workdir / "data")
        t0 = time.perf_counter()
        workspaces = await create_workspaces(client, stores[2], phones, run)
        print(f"{len(workspaces)} workspaces in {time.perf_counter() - t0:.1f} s", flush=True)
        if args.warm_up:
            await warm_up(client, args, {ws.phone: ws for ws in workspaces}, phones, run)
        for r in range(args.runs):
            bodies = make_bodies(args.per_run, phones, f"{run}t{r}", r * args.per_run)
            extra = make_bodies(int(args.duration / PROBE_EVERY) + 10, phones, f"{run}p{r}", r * 7919)
            tsv = workdir / "saldo.tsv"
            write_tsv(tsv, bodies, args.app_secret)
            load, start = os.getloadavg(), time.time()
            res, samples = await asyncio.gather(asyncio.to_thread(run_wrk, base, tsv, args),
                                                probe(base, extra, args.app_secret, start + args.duration))
            proc.send_signal(signal.SIGUSR1)       # a full collection, timed (tail_trace.py)
            await asyncio.sleep(1)                 # a pause for the trace file, not a synchronisation
            events = read_trace(trace)
            forced = [e for e in events if e["k"] == "forced"][-1:]
            print(f"\nrun {r}: wrk {res['rps']:.0f} req/s p50 {res['p50']:.1f} p99 {res['p99']:.1f} ms "
                  f"(load avg before {load[0]:.2f})\n  {summary(samples, events, start, start + args.duration)}"
                  + "".join(f"\n  a full GC forced after the run: {f['ms']:.0f} ms, {f['tracked']} objects tracked, "
                            f"{f['frozen']} frozen" for f in forced))
            if args.timeline:
                timeline(samples, events, start, args.duration)
            slowest(samples, [e for e in events if start <= e["t"] + e.get("ms", 0) / 1000], args.slowest)
        for store_client in stores[:2]:
            await store_client.close()


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspaces", type=int, default=100)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--warm-up", type=int, default=0)
    ap.add_argument("--timeline", action="store_true", help="one line per second")
    ap.add_argument("--slowest", type=int, default=10)
    args = ap.parse_args()
    args.per_run = 2_500 * args.duration
    return args


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="saldo-tail-"))
    trace = workdir / "trace.jsonl"
    proc, base = start_traced(args, workdir, trace)
    print(f"{THREADS} wrk threads, {args.connections} connections; service pid {proc.pid}; "
          f"trace {trace}", flush=True)
    try:
        asyncio.run(bench(args, workdir, proc, base, trace))
    finally:
        print(f"service stopped (exit code {stop_service(proc)}); {workdir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
