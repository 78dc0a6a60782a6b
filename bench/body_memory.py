"""Memory under large webhook bodies (issue 17 §4), run by hand (not a test).

Starts the service on the embedded store (as bench/webhooks.py does), then sends, in rounds of
32 concurrent POSTs to /webhooks/whatsapp: bodies of `--size` bytes with a wrong signature,
the same signed (valid JSON, Meta's shape, padded with thousands of small objects: the costliest
thing to decode), and bodies one byte over the cap. Prints the service's RSS before each phase
and its peak during it (VmHWM from /proc/<pid>/status, reset between phases through
/proc/<pid>/clear_refs), and the answers' statuses. Exit status 0 if every answer is the
expected one (401, 200, 413) and every peak is under the target.

    .venv/bin/python bench/body_memory.py                 # 1 MiB bodies
    .venv/bin/python bench/body_memory.py --size 3145728  # at the webhook cap (3 MiB)
"""
import argparse
import asyncio
import collections
import hashlib
import hmac
import json
import secrets
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scratch import with_service  # noqa: E402
from procfs import proc_status  # noqa: E402
from webhooks import SaldoClient, start_service, stop_service  # noqa: E402

from handlers.bodies import WEBHOOK_MAX_BODY  # noqa: E402

CONCURRENCY, TARGET_MB = 32, 250


def mb(pid: int, key: str) -> float:
    return int(proc_status(pid).get(key, "0 kB").split()[0]) / 1024


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")   # VmHWM := VmRSS


def padded(size: int, nonce: str) -> bytes:
    """A Meta-shaped payload of exactly `size` bytes, for a phone number nobody has."""
    head = {"object": "whatsapp_business_account", "entry": [{"id": nonce, "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
                                       "metadata": {"phone_number_id": "100000000000000"},
                                       "padding": []}}]}]}
    item = {"k": "v" * 16, "n": 1}
    empty = len(json.dumps(head, separators=(",", ":")))
    per = len(json.dumps(item, separators=(",", ":"))) + 1
    head["entry"][0]["changes"][0]["value"]["padding"] = [item] * ((size - empty - 64) // per)
    raw = json.dumps(head, separators=(",", ":")).encode()    # ends with the value's "}}]}]}"
    return raw[:-6] + b',"z":"' + b"x" * (size - len(raw) - 7) + b'"' + raw[-6:]


async def phase(session: aiohttp.ClientSession, url: str, pid: int, name: str, bodies: list,
                rounds: int) -> tuple[bool, str]:
    reset_peak(pid)
    before = mb(pid, "VmRSS")
    statuses: collections.Counter = collections.Counter()
    started = time.perf_counter()
    for _ in range(rounds):
        async def post(raw: bytes, signature: str) -> int:
            async with session.post(url, data=raw, headers={
                    "Content-Type": "application/json", "X-Hub-Signature-256": signature}) as r:
                await r.read()
                return r.status
        statuses.update(await asyncio.gather(*(post(*b) for b in bodies)))
    wall = time.perf_counter() - started
    peak = mb(pid, "VmHWM")
    line = (f"{name:<28} {len(bodies) * rounds:>4} POSTs in {wall:5.1f} s  RSS before "
            f"{before:6.1f} MB  peak {peak:6.1f} MB  answers {dict(statuses)}")
    print(line, flush=True)
    return peak <= TARGET_MB, line


async def run(base: str, pid: int, secret: str, size: int, rounds: int) -> bool:
    url = base + "/webhooks/whatsapp"
    sign = lambda raw: "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()  # noqa: E731
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY),
                                     timeout=aiohttp.ClientTimeout(total=300)) as session:
        await SaldoClient(session, base, "", time.monotonic() + 60).wait_ready(None)
        print(f"service pid {pid}: RSS {mb(pid, 'VmRSS'):.1f} MB at start; {CONCURRENCY} "
              f"concurrent bodies of {size:,} bytes (cap {WEBHOOK_MAX_BODY:,}), {rounds} rounds")
        bodies = [padded(size, secrets.token_hex(8)) for _ in range(CONCURRENCY)]
        assert all(len(b) == size for b in bodies)
        over = b"x" * (WEBHOOK_MAX_BODY + 1)
        results = [
            (await phase(session, url, pid, "unsigned (wrong signature)",
                         [(b, "sha256=" + "0" * 64) for b in bodies], rounds), 401),
            (await phase(session, url, pid, "signed, valid JSON",
                         [(b, sign(b)) for b in bodies], rounds), 200),
            (await phase(session, url, pid, "one byte over the cap",
                         [(over, sign(over))] * CONCURRENCY, rounds), 413)]
    ok = all(fits and f"{{{expected}: " in line for (fits, line), expected in results)
    print(f"\npeak RSS target <= {TARGET_MB} MB and expected answers: "
          f"{'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1024 * 1024, help="body size, bytes")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of 32 concurrent POSTs")
    args = ap.parse_args()
    return with_service("saldo-bodies-", lambda workdir: start_service(args, workdir),
                        stop_service, lambda base, proc: asyncio.run(
                            run(base, proc.pid, args.app_secret, args.size, args.rounds)))


if __name__ == "__main__":
    sys.exit(main())
