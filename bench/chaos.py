"""Chaos run for Saldo, by hand (not a test; issue 17). Starts `python -m service` on the embedded
stores (free port, temporary SALDO_DATA_DIR), sends signed WhatsApp `delivered` statuses (70%
service, a quarter of the POSTs' statuses are duplicates of ones already sent) from 8 senders,
and meanwhile `kill -9`s, at random moments, the service (restarted at once, as a process
supervisor would) or one of the two NX-27017 children (Saldo's own supervisor must restart it).
Then: a clean restart, every status ever sent is sent again until answered 200, and the wallets
must equal what the sent set costs, exactly, and /v1/admin/reconcile must be ok.

Prints the rupiah drift (must be 0) and the longest unavailability (the longest time /healthz,
polled every 0.1 s, did not answer 200). Exit status 0 only if the drift is 0 and reconcile ok.

    .venv/bin/python bench/chaos.py --duration 90
"""
import argparse, asyncio, contextlib, json, os, random, secrets, signal, socket  # noqa: E401
import shutil, subprocess, sys, tempfile, time  # noqa: E401
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from webhooks import ROOT, Workspace, digits, sign_body  # noqa: E402

SENDERS, WORKSPACES, DUPLICATES = 8, 6, 0.25
STORES = {"main store": "", "whatsapp-log store": "whatsapp-log"}


class Service:
    """`python -m service` on one port and data directory, killed and restarted at will."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.workdir, self.data = workdir, workdir / "data"
        self.admin, self.secret = secrets.token_hex(16), secrets.token_hex(16)
        self.env = {**os.environ, "PORT": str(self.port), "SALDO_DATA_DIR": str(self.data),
                    "SALDO_ADMIN_TOKEN": self.admin, "WHATSAPP_APP_SECRETS": self.secret,
                    "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8), "LOG_LEVEL": "WARNING",
                    "SALDO_SWEEP_INTERVAL": "5s"}
        self.proc: subprocess.Popen | None = None
        self.store_pids: set[int] = set()

    def start(self) -> None:
        with open(self.workdir / "service.log", "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def store_pid(self, subdir: str) -> int | None:
        """The pid of a store child of this run (its address file), if it is one and alive."""
        with contextlib.suppress(OSError, ValueError, KeyError):
            pid = int(json.loads((self.data / subdir / "nx-27017.json").read_text())["pid"])
            if str(self.data).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                self.store_pids.add(pid)
                return pid
        return None

    def cleanup(self) -> None:
        """Stop the service, then any store child of this run it left (it adopts, not owns,
        the children a killed predecessor started)."""
        if self.proc and self.proc.poll() is None:
            self.stop()
        for pid in self.store_pids | {p for p in map(self.store_pid, STORES.values()) if p}:
            with contextlib.suppress(OSError):
                if str(self.data).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGTERM)


class Run:
    def __init__(self, svc: Service, session: aiohttp.ClientSession, rng: random.Random) -> None:
        self.svc, self.session, self.rng = svc, session, rng
        self.base = f"http://127.0.0.1:{svc.port}"
        self.workspaces: list[Workspace] = []
        self.sent: dict[str, tuple[int, dict]] = {}     # wamid → (workspace index, status)
        self.posts: Counter = Counter()
        self.kills: Counter = Counter()
        self.outages: list[tuple[float, str]] = []   # (seconds, when it began)
        self.stopping = asyncio.Event()
        self.tag = secrets.token_hex(3).upper()

    async def call(self, method: str, path: str, token: str, body: dict | None = None):
        async with self.session.request(method, self.base + path, json=body,
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
            return resp.status, await resp.json(content_type=None)

    async def healthy(self) -> bool:
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            async with self.session.get(self.base + "/healthz",
                                        timeout=aiohttp.ClientTimeout(total=2)) as resp:
                return resp.status == 200
        return False

    async def until_healthy(self, within_s: float = 120) -> None:
        deadline = time.monotonic() + within_s
        while not await self.healthy():
            if time.monotonic() > deadline:
                raise SystemExit(f"/healthz not 200 within {within_s} s; see {self.svc.workdir}")
            await asyncio.sleep(0.1)

    async def create_workspaces(self) -> None:
        while len(self.workspaces) < WORKSPACES:
            phone = digits(15)
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                status, body = await self.call("POST", "/v1/workspaces", self.svc.admin,
                                               {"name": f"chaos {phone}", "phone_number_ids": [phone]})
                if status == 201:
                    self.workspaces.append(Workspace(body["workspace"]["id"], body["api_key"], phone))

    def new_status(self) -> tuple[int, dict]:
        n = len(self.sent)
        status = {"id": f"wamid.CHAOS{self.tag}N{n:07d}", "status": "delivered",
                  "timestamp": str(int(time.time())), "recipient_id": "628" + digits(10),
                  "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                              "category": "marketing" if self.rng.random() < 0.3 else "service"}}
        self.sent[status["id"]] = (n % WORKSPACES, status)
        return self.sent[status["id"]]

    async def post(self, chunk: list[tuple[int, dict]]) -> bool:
        body, headers, _ = sign_body([(self.workspaces[i].phone, s) for i, s in chunk],
                                     self.svc.secret.encode(), "1" * 15)
        try:
            async with self.session.post(self.base + "/webhooks/whatsapp", data=body,
                                         headers=headers) as resp:
                outcome = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            outcome = type(exc).__name__
        self.posts[outcome] += 1
        return outcome == 200

    async def sender(self) -> None:
        while not self.stopping.is_set():
            chunk = [self.rng.choice(list(self.sent.values()))
                     if self.sent and self.rng.random() < DUPLICATES else self.new_status()
                     for _ in range(self.rng.randint(1, 5))]
            if not await self.post(chunk):
                await asyncio.sleep(0.2)    # do not spin while the service is down

    async def chaos(self, gap: tuple[float, float]) -> None:
        while True:
            await asyncio.sleep(self.rng.uniform(*gap))
            target = self.rng.choice(["service", *STORES])
            if target == "service":
                self.svc.kill()
                self.svc.start()            # what a process supervisor does
            else:
                pid = self.svc.store_pid(STORES[target])
                if pid is None:
                    continue                # being restarted right now
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.kills[target] += 1
            print(f"  {time.strftime('%H:%M:%S')} kill -9 {target}", flush=True)

    async def probe(self) -> None:
        """The longest time /healthz did not answer 200."""
        down_since = None
        while True:
            ok, now = await self.healthy(), time.monotonic()
            if not ok and down_since is None:
                down_since = now
            if ok and down_since is not None:
                self.outages.append((now - down_since, time.strftime(
                    "%H:%M:%S", time.localtime(time.time() - (now - down_since)))))
                down_since = None
            await asyncio.sleep(0.1)

    async def resend_everything(self) -> None:
        pending = list(self.sent.values())
        chunks = [pending[i:i + 20] for i in range(0, len(pending), 20)]
        deadline = time.monotonic() + 300
        for chunk in chunks:
            while not await self.post(chunk):
                if time.monotonic() > deadline:
                    raise SystemExit("resending did not get 200s within 300 s")
                await asyncio.sleep(0.2)

    def expected(self) -> list[dict]:
        counts = [Counter() for _ in self.workspaces]
        for i, status in self.sent.values():
            counts[i][status["pricing"]["category"]] += 1
        return [Workspace(w.id, w.api_key, w.phone, c["service"], c["marketing"]).expected()
                for w, c in zip(self.workspaces, counts)]

    async def drift(self) -> tuple[int, list[str]]:
        total, lines = 0, []
        for ws, want in zip(self.workspaces, self.expected()):
            status, body = await self.call("GET", f"/v1/workspaces/{ws.id}/wallet", ws.api_key)
            for key, amount in want.items():
                balance, part = key.split(".")
                got = body[balance][part]["amount"] if status == 200 else 0
                total += abs(got - amount)
                if got != amount:
                    lines.append(f"  {ws.id} {key}: expected {amount}, got {got}")
        return total, lines


async def run(args: argparse.Namespace, svc: Service) -> bool:
    rng = random.Random(args.seed)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        r = Run(svc, session, rng)
        await r.until_healthy()
        await r.create_workspaces()
        print(f"chaos for {args.duration:.0f} s: {SENDERS} senders, {WORKSPACES} workspaces", flush=True)
        probe = asyncio.create_task(r.probe())
        senders = [asyncio.create_task(r.sender()) for _ in range(SENDERS)]
        chaos = asyncio.create_task(r.chaos((args.min_gap, args.max_gap)))
        await asyncio.sleep(args.duration)
        chaos.cancel()
        r.stopping.set()
        await asyncio.gather(*senders)
        await r.until_healthy()                      # ends the outage in progress, if any
        probe.cancel()
        if svc.proc.poll() is None:                  # a clean restart: start-up recovery
            svc.stop()
        svc.start()
        await r.until_healthy()
        print(f"resending all {len(r.sent)} statuses ...", flush=True)
        await r.resend_everything()
        deadline = time.monotonic() + args.settle
        while (drift := await r.drift())[0] and time.monotonic() < deadline:
            await asyncio.sleep(1)                   # the periodic sweep finishes leftovers
        status, recon = await r.call("GET", "/v1/admin/reconcile", svc.admin)
        recon_ok = status == 200 and recon.get("ok") is True
        kinds = Counter(s["pricing"]["category"] for _, s in r.sent.values())
        print(f"\nkills: {dict(r.kills)}\nwebhook POSTs by answer: {dict(r.posts)}")
        print(f"distinct wamids sent: {len(r.sent)} ({kinds['service']} service, "
              f"{kinds['marketing']} marketing: Rp{30 * kinds['service'] + 650 * kinds['marketing']:,} "
              f"of charges)")
        print("\n".join(drift[1]))
        print(f"rupiah drift: {drift[0]} (must be 0)")
        longest, began = max(r.outages, default=(0.0, "-"))
        print(f"longest unavailability: {longest:.2f} s, from {began} "
              f"({len(r.outages)} outages, /healthz not 200)")
        print(f"reconcile ok: {recon_ok}")
        return drift[0] == 0 and recon_ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=90, help="seconds of load and kills")
    ap.add_argument("--min-gap", type=float, default=4, help="shortest time between two kills, s")
    ap.add_argument("--max-gap", type=float, default=10, help="longest time between two kills, s")
    ap.add_argument("--settle", type=float, default=120, help="how long the wallets may take, s")
    ap.add_argument("--seed", type=int, help="random seed (kills and categories)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="saldo-chaos-"))
    svc = Service(workdir)
    svc.start()
    ok = False
    try:
        ok = asyncio.run(run(args, svc))
    finally:
        svc.cleanup()
        print(f"{'PASS' if ok else 'FAIL'}; log and data: {workdir}" + (" (removed)" if ok else ""))
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
