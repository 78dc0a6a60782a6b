"""Load generation for bench/compare.py: signed single-status bodies, wrk with bench/replay.lua
(or an aiohttp client with the same slices), and which bodies each thread certainly sent."""
import argparse, asyncio, json, re, subprocess, time  # noqa: E401
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
THREADS = 2


def signed(secret: str, body: str) -> str:
    import hashlib
    import hmac
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def make_bodies(n: int, phones: list[str], tag: str, start: int) -> list[tuple[str, str]]:
    """(phone, body) for n distinct wamids; request i goes to phones[(start + i) % len]."""
    now, out = str(int(time.time())), []
    for i in range(n):
        pn = phones[(start + i) % len(phones)]
        body = {"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [
            {"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "62811" + pn[-6:], "phone_number_id": pn},
                "statuses": [{"id": f"wamid.CMP{tag}N{i:08d}", "status": "delivered", "timestamp": now,
                              "recipient_id": "6281234567890",
                              "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                                          "category": "service"}}]}}]}]}
        out.append((pn, json.dumps(body, separators=(",", ":"))))
    return out


def write_tsv(path: Path, bodies: list[tuple[str, str]], secret: str) -> None:
    with open(path, "w") as f:
        for _, body in bodies:
            f.write(signed(secret, body) + "\t" + body + "\n")


def run_wrk(url: str, tsv: Path, args: argparse.Namespace) -> dict:
    out = subprocess.run(["wrk", f"-t{THREADS}", f"-c{args.connections}", f"-d{args.duration}s",
                          "--timeout", "10s", "-s", str(HERE / "replay.lua"), url, "--", str(tsv),
                          str(THREADS)], capture_output=True, text=True, check=True).stdout
    num = lambda pattern: re.search(pattern, out)  # noqa: E731
    m = num(r"p50=([\d.]+)ms p99=([\d.]+)ms")
    errors = num(r"Non-2xx or 3xx responses: (\d+)")
    sock = num(r"Socket errors: (.*)")
    return {"rps": float(num(r"Requests/sec:\s+([\d.]+)").group(1)), "p50": float(m.group(1)),
            "p99": float(m.group(2)), "errors": int(errors.group(1)) if errors else 0,
            "socket": sock.group(1) if sock else "",
            "sent": {int(t): int(s) for t, s in re.findall(r"thread (\d+) sent (\d+)", out)}}


async def run_aiohttp(url: str, bodies: list, secret: str, args: argparse.Namespace) -> dict:
    """The fallback client: the same slices and the same `sent` bookkeeping as replay.lua."""
    lat, errors, sent = [], 0, {t: 0 for t in range(THREADS)}
    stop = time.monotonic() + args.duration

    async def conn(session: aiohttp.ClientSession, k: int) -> None:
        nonlocal errors
        tid, mine = k % THREADS, [b for j, b in enumerate(bodies) if j % THREADS == k % THREADS]
        while time.monotonic() < stop:
            i = sent[tid]
            sent[tid] += 1
            body = mine[i % len(mine)][1]
            t0 = time.perf_counter()
            async with session.post(url + "/webhooks/whatsapp", data=body.encode(), headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": "sha256=" + signed(secret, body)}) as resp:
                await resp.read()
                errors += resp.status != 200
            lat.append(time.perf_counter() - t0)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.connections)) as s:
        t0 = time.perf_counter()
        await asyncio.gather(*(conn(s, k) for k in range(args.connections)))
        wall = time.perf_counter() - t0
    lat.sort()
    return {"rps": len(lat) / wall, "p50": lat[len(lat) // 2] * 1000,
            "p99": lat[int(len(lat) * 0.99)] * 1000, "errors": errors, "socket": "", "sent": sent}


def delivered(bodies: list, sent: dict[int, int], slack: int) -> tuple[list, list]:
    """The bodies certainly or possibly sent (each thread's slice up to `sent`), and those that
    may not have reached the server, to send again: the tail (in flight when wrk stopped) and the
    head (wrk calls thread 0's request() once to verify the script, without sending it)."""
    done, again = [], []
    for tid in range(THREADS):
        mine = bodies[tid::THREADS]
        upto = min(sent.get(tid, 0), len(mine))
        done += mine[:upto]
        again += mine[:min(slack, upto)] + mine[max(slack, upto - slack):upto]
    return done, again
