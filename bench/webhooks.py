"""Webhook throughput benchmark for Saldo, run by hand (not a test). Phases of batch size 1 and 100 over
32 connections, fresh workspaces each; signed `delivered` statuses (70% service), 10% duplicates, shuffled
into the stream (`--mixed-dups`: half of the batched phase's duplicates arrive as 1-status POSTs).
Exit status 0 only if every POST got 200, every wallet is exact and /v1/admin/reconcile is ok."""
import argparse, asyncio, contextlib, hashlib, hmac, json, os, random  # noqa: E401
import secrets, socket, statistics, subprocess, sys, time  # noqa: E401
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfs import report_rss, service_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY, CONV_GRANT, SERVICE_RATE, MARKETING_RATE = 32, 15_000, 30, 650
TARGETS, TARGET_RSS_MB = {1: (400, 150), 100: (2_000, None)}, 250  # charged/s, p99 ms; 2 cores, embedded


@dataclass
class Workspace:
    id: str
    api_key: str
    phone: str
    service: int = 0
    marketing: int = 0

    def expected(self) -> dict[str, int]:
        covered = min(self.service, CONV_GRANT // SERVICE_RATE)
        return {"conversation.granted": CONV_GRANT - SERVICE_RATE * covered, "conversation.purchased": 0,
                "conversation.arrears": SERVICE_RATE * (self.service - covered), "broadcast.granted": 0,
                "broadcast.purchased": 0, "broadcast.arrears": MARKETING_RATE * self.marketing}


@dataclass
class Phase:
    batch: int
    workspaces: list[Workspace]
    events: int = 0
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds during the phase
    latencies: list[float] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)  # distinct wamids in POSTs answered 200
    errors: dict[str, list] = field(default_factory=dict)  # status -> [count, first response body]


def digits(n: int) -> str:
    return str(10 ** (n - 1) + secrets.randbelow(9 * 10 ** (n - 1)))


def make_events(n: int, ph: Phase, run: str, rng: random.Random) -> tuple[list, list]:
    """n distinct wamids with one `delivered` status each, plus duplicates = 10% of all events."""
    now, events = str(int(time.time())), []
    for i in range(n):
        ws = ph.workspaces[i % len(ph.workspaces)]
        category = "marketing" if rng.random() < 0.3 else "service"
        setattr(ws, category, getattr(ws, category) + 1)
        events.append((ws.phone, {
            "id": f"wamid.BENCH{run}B{ph.batch}N{i:07d}", "status": "delivered", "timestamp": now,
            "recipient_id": "628" + digits(10),
            "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": category},
        }))
    return events, rng.sample(events, round(n / 9))


def sign_body(chunk: list, secret: bytes, waba: str) -> tuple[bytes, dict, list[str]]:
    changes = [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "62811" + phone[-8:], "phone_number_id": phone},
        "statuses": [status for p, status in chunk if p == phone]}}
        for phone in dict.fromkeys(p for p, _ in chunk)]
    body = json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": waba, "changes": changes}]}, separators=(",", ":")).encode()
    sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sig}, [s["id"] for _, s in chunk]


def build_requests(events: list, dups: list, batch: int, secret: bytes, rng: random.Random,
                   mixed: bool = False) -> list:
    """Shuffle all events (duplicates included) and cut them into batches. With `mixed`, half
    of the duplicates of the batched phase are sent alone instead, as extra 1-status POSTs."""
    alone = dups[: len(dups) // 2] if batch > 1 and mixed else []
    pool = events + dups[len(alone):]
    rng.shuffle(pool)
    chunks = [pool[i:i + batch] for i in range(0, len(pool), batch)] + [[d] for d in alone]
    rng.shuffle(chunks)
    waba = digits(15)
    return [sign_body(chunk, secret, waba) for chunk in chunks]


class SaldoClient:
    def __init__(self, session: aiohttp.ClientSession, base: str, admin_token: str, deadline: float):
        self.session, self.base, self.admin_token, self.deadline = session, base, admin_token, deadline
        self.url = base + "/webhooks/whatsapp"

    async def api(self, method: str, path: str, token: str, payload: dict | None = None) -> tuple:
        async with self.session.request(method, self.base + path, json=payload,
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
            text = await resp.text()
        return resp.status, json.loads(text) if text.startswith(("{", "[")) else text[:300]

    async def wait_ready(self, proc: subprocess.Popen | None) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"service exited with code {proc.returncode} before /readyz answered 200")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with self.session.get(self.base + "/readyz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
        raise SystemExit(f"{self.base}/readyz did not answer 200 within 60 s")

    async def create_workspace(self, name: str) -> Workspace:
        phone = digits(15)
        status, data = await self.api("POST", "/v1/workspaces", self.admin_token,
                                      {"name": name, "phone_number_ids": [phone]})
        if status != 201:
            raise SystemExit(f"POST /v1/workspaces -> {status}: {data}")
        return Workspace(data["workspace"]["id"], data["api_key"], phone)

    async def run_phase(self, ph: Phase, reqs: list) -> None:
        queue: asyncio.Queue = asyncio.Queue()
        for req in reqs:
            queue.put_nowait(req)
        t0 = time.perf_counter()
        await asyncio.gather(*(self.worker(queue, ph) for _ in range(CONCURRENCY)))
        ph.wall = time.perf_counter() - t0

    async def worker(self, queue: asyncio.Queue, ph: Phase) -> None:
        while not queue.empty():
            body, headers, wamids = queue.get_nowait()
            if time.monotonic() > self.deadline:
                ph.errors.setdefault("not sent (global deadline)", [0, ""])[0] += 1
                continue
            t0 = time.perf_counter()
            try:
                async with self.session.post(self.url, data=body, headers=headers) as resp:
                    status, text = resp.status, await resp.text()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status, text = type(exc).__name__, str(exc)
            ph.latencies.append(time.perf_counter() - t0)
            ph.events += len(wamids)
            if status == 200:
                ph.acked.update(wamids)
            else:
                ph.errors.setdefault(str(status), [0, text[:300]])[0] += 1

    async def wallet(self, ws: Workspace) -> dict:
        status, data = await self.api("GET", f"/v1/workspaces/{ws.id}/wallet", ws.api_key)
        try:
            return {key: data[key.split(".")[0]][key.split(".")[1]]["amount"] for key in ws.expected()}
        except (KeyError, TypeError) as exc:
            return {"error": f"; ERROR: HTTP {status}, unexpected wallet ({exc!r}): {str(data)[:300]}"}

    async def check_wallets(self, ph: Phase) -> list[str]:
        lines = []
        for ws in ph.workspaces:
            want, got = ws.expected(), await self.wallet(ws)
            lines.append(f"  [{'OK' if got == want else 'MISMATCH'}] batch={ph.batch} workspace {ws.id}: "
                         f"{ws.service} service + {ws.marketing} marketing wamids{got.get('error', '')}")
            lines += [f"      {key:<24} expected {value:>10}  got {got.get(key)!s:>10}"
                      f"{'' if got.get(key) == value else '   <-- differs'}" for key, value in want.items()]
        return lines


def print_table(phases: list[Phase]) -> bool:
    ok = True
    print(f"\n{'phase':<9}{'requests':>9}{'events':>8}{'charged':>8}{'wall s':>8}{'charged/s':>10}"
          f"{'events/s':>9}{'p50 ms':>8}{'p99 ms':>8}  target")
    for ph in phases:
        eps, evs = (len(ph.acked) / ph.wall, ph.events / ph.wall) if ph.wall else (0.0, 0.0)
        ms = ([q * 1000 for q in statistics.quantiles(ph.latencies, n=100, method="inclusive")]
              if len(ph.latencies) > 1 else [float("nan")] * 99)
        (min_eps, max_p99), p50, p99 = TARGETS[ph.batch], ms[49], ms[98]
        met = not ph.errors and eps >= min_eps and (max_p99 is None or p99 <= max_p99)
        ok = ok and met
        target = f">= {min_eps} charged/s" + (f", p99 <= {max_p99} ms" if max_p99 else "")
        print(f"{'batch ' + str(ph.batch):<9}{len(ph.latencies):>9}{ph.events:>8}{len(ph.acked):>8}"
              f"{ph.wall:>8.2f}{eps:>10.0f}{evs:>9.0f}{p50:>8.1f}{p99:>8.1f}  "
              f"{target}: {'met' if met else 'NOT MET'}")
        for what, (count, first) in ph.errors.items():
            print(f"  batch={ph.batch}: {count} x {what}" + (f"; first: {first}" if first else ""))
    return ok


def print_cpu(phases: list[Phase]) -> None:
    """CPU per charged status of each process over each phase: a load-independent cost."""
    if any(ph.cpu for ph in phases):
        print("\nCPU ms per charged status (/proc, over each phase; the client is not in it):")
    for ph in phases:
        if ph.cpu and ph.acked:
            parts = [f"{role} {1000 * sec / len(ph.acked):.3f}" for role, sec in sorted(ph.cpu.items())]
            print(f"  batch {ph.batch}: " + ", ".join(parts)
                  + f"; total {1000 * sum(ph.cpu.values()) / len(ph.acked):.3f}")


def start_service(args: argparse.Namespace, workdir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args.admin_token, args.app_secret = secrets.token_hex(16), secrets.token_hex(16)
    env = {**os.environ, "PORT": str(port), "SALDO_DATA_DIR": str(workdir / "data"),
           "SALDO_ADMIN_TOKEN": args.admin_token, "WHATSAPP_APP_SECRETS": args.app_secret,
           "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8), "LOG_LEVEL": "WARNING"}
    with open(workdir / "service.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    print(f"started service pid {proc.pid} on 127.0.0.1:{port}, SALDO_DATA_DIR={workdir / 'data'}",
          flush=True)
    return proc, f"http://127.0.0.1:{port}"


def stop_service(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # then the exit code says -9
        proc.kill()
        return proc.wait()


async def run_all(args: argparse.Namespace, base: str, proc: subprocess.Popen | None) -> bool:
    run, rng = secrets.token_hex(4).upper(), random.Random()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY),
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        saldo = SaldoClient(session, base, args.admin_token, time.monotonic() + args.deadline)
        await saldo.wait_ready(proc)
        phases, wallet_lines = [], []
        for batch, n in ((1, args.single), (100, args.batched)):
            ph = Phase(batch, [await saldo.create_workspace(f"bench-{run}-b{batch}-{k}") for k in (1, 2)])
            reqs = build_requests(*make_events(n, ph, run, rng), batch, args.app_secret.encode(), rng,
                                  mixed=args.mixed_dups)
            print(f"phase batch={batch}: {n} wamids, {sum(len(r[2]) for r in reqs)} status events in "
                  f"{len(reqs)} POSTs over {CONCURRENCY} connections ...", flush=True)
            before = service_cpu(proc.pid if proc else args.pid)
            await saldo.run_phase(ph, reqs)
            after = service_cpu(proc.pid if proc else args.pid)
            ph.cpu = {role: after[role] - before.get(role, 0.0) for role in after}
            phases.append(ph)
            wallet_lines += await saldo.check_wallets(ph)
        return await report(saldo, phases, wallet_lines, proc.pid if proc else args.pid)


async def report(saldo: SaldoClient, phases: list[Phase], wallet_lines: list[str], pid: int | None) -> bool:
    targets_ok = print_table(phases)
    print_cpu(phases)
    http_ok = not any(ph.errors for ph in phases)
    rss_ok = report_rss(pid, TARGET_RSS_MB)
    print("\nBalances (expected vs got):\n" + "\n".join(wallet_lines))
    wallets_ok = not any("MISMATCH" in line for line in wallet_lines)
    status, data = await saldo.api("GET", "/v1/admin/reconcile", saldo.admin_token)
    recon_ok = status == 200 and isinstance(data, dict) and data.get("ok") is True
    print(f"\nReconcile: HTTP {status}, ok={recon_ok}" + ("" if recon_ok else f": {json.dumps(data)[:1000]}"))
    ok = http_ok and wallets_ok and recon_ok
    print(f"\nall 200: {http_ok}; balances exact: {wallets_ok}; reconcile ok: {recon_ok} => "
          f"{'PASS' if ok else 'FAIL'} (performance targets met: {targets_ok and rss_ok}; informational)")
    return ok


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--single", type=int, default=4_000, help="wamids sent one status per POST")
    ap.add_argument("--batched", type=int, default=40_000, help="wamids sent 100 statuses per POST")
    ap.add_argument("--quick", action="store_true", help="smoke run: 400 single / 4,000 batched")
    ap.add_argument("--mixed-dups", action="store_true",
                    help="batched phase: send half of the duplicates as extra 1-status POSTs")
    ap.add_argument("--url", help="an already running service (loopback only) instead of starting one")
    ap.add_argument("--admin-token", help="its SALDO_ADMIN_TOKEN (with --url)")
    ap.add_argument("--app-secret", help="one of its WHATSAPP_APP_SECRETS (with --url)")
    ap.add_argument("--pid", type=int, help="its pid, for peak RSS (with --url)")
    ap.add_argument("--deadline", type=float, default=600, help="global time limit for sending, seconds")
    args = ap.parse_args()
    if args.quick:
        args.single, args.batched = 400, 4_000
    if args.url and not (args.url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:"))
                         and args.admin_token and args.app_secret):
        ap.error("--url must be http://127.0.0.1:PORT (loopback) and needs --admin-token and --app-secret")
    return args


def main() -> int:
    args = parse_args()
    if args.url:
        return 0 if asyncio.run(run_all(args, args.url.rstrip("/"), None)) else 1
    from scratch import with_service   # bench/, beside this script
    return with_service("saldo-bench-", lambda workdir: start_service(args, workdir), stop_service,
                        lambda base, proc: asyncio.run(run_all(args, base, proc)))


if __name__ == "__main__":
    sys.exit(main())
