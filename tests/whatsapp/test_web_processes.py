"""SALDO_WEB_PROCESSES=2: `python -m service` runs two web processes on one port (SO_REUSEPORT)
on one store, and concurrent statuses of the same wamids, spread over both, charge each message
exactly once."""
import asyncio
import json
import os
import random
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from service.mongo.embedded import free_port
from tests.helpers import ADMIN_TOKEN, APP_SECRETS, sign, status, status_payload

ROOT = Path(__file__).resolve().parents[2]
TS = 1795144627
pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")


def listening_children(parent: int, port: int) -> list[int]:
    """The parent's children that hold a socket listening on `port` (from /proc)."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                listening.add(f"socket:[{fields[9]}]")
    out = []
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        fds = Path(f"/proc/{child}/fd")
        try:
            if any(os.readlink(fd) in listening for fd in fds.iterdir()):
                out.append(int(child))
        except OSError:  # the child exited meanwhile
            pass
    return out


async def start_two_processes(settings, port: int, extra_env: dict | None = None):
    """`extra_env` should name a SALDO_DATA_DIR: the supervisor keeps the metric files there."""
    env = {**os.environ, "MONGODB_URI": settings.mongodb_uri, "MONGODB_DB": settings.mongodb_db,
           "MONGODB_WHATSAPP_LOG_DB": settings.whatsapp_log_db, "PORT": str(port),
           "SALDO_WEB_PROCESSES": "2", "SALDO_ADMIN_TOKEN": ADMIN_TOKEN,
           "WHATSAPP_APP_SECRETS": ",".join(APP_SECRETS), "LOG_LEVEL": "WARNING",
           "SALDO_SWEEP_INTERVAL": "1h", **(extra_env or {})}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "service", cwd=ROOT, env=env,
                                                stdin=asyncio.subprocess.DEVNULL)
    for _ in range(600):  # polling two child processes' boot, not test synchronisation
        if len(listening_children(proc.pid, port)) == 2:
            return proc
        assert proc.returncode is None, "the service exited"
        await asyncio.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    await proc.wait()
    raise AssertionError("two web processes did not listen on the port within 60 s")


def status_posts(phone: str, rng: random.Random) -> list[bytes]:
    """20 messages (10 service, 10 marketing): sent, delivered, read, each POSTed twice, shuffled."""
    posts = [json.dumps(status_payload(phone, [status(f"wamid.proc{i:02d}", state,
                                                      "service" if i % 2 else "marketing",
                                                      ts=TS + k)])).encode()
             for i in range(20) for k, state in enumerate(("sent", "delivered", "read"))] * 2
    rng.shuffle(posts)
    return posts


async def test_two_web_processes_on_one_port_charge_each_message_once(settings, tmp_path):
    port = free_port()
    proc = await start_two_processes(settings, port, {"SALDO_DATA_DIR": str(tmp_path)})
    base = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        # a new connection per request, so the kernel spreads them over both processes
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            async with http.post(f"{base}/v1/workspaces", headers=admin, json={
                    "name": "Two processes", "phone_number_ids": ["620000000000077"]}) as resp:
                created = await resp.json()
            assert resp.status == 201, created
            ws, key = created["workspace"]["id"], created["api_key"]

            async def post(raw: bytes) -> int:
                async with http.post(f"{base}/webhooks/whatsapp", data=raw, headers={
                        "Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)}) as r:
                    return r.status
            codes = await asyncio.gather(*(post(raw) for raw in status_posts(
                "620000000000077", random.Random(16))))
            assert set(codes) == {200}
            async with http.get(f"{base}/v1/workspaces/{ws}/wallet",
                                headers={"Authorization": f"Bearer {key}"}) as resp:
                wallet = await resp.json()
            async with http.get(f"{base}/v1/admin/reconcile", headers=admin) as resp:
                reconcile = await resp.json()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await proc.wait() == 0
    # 10 service replies at Rp30 from the Rp15.000 Free grant; 10 broadcasts at Rp650 as arrears
    assert wallet["conversation"]["granted"]["amount"] == 15_000 - 10 * 30
    assert wallet["conversation"]["arrears"]["amount"] == 0
    assert wallet["broadcast"]["arrears"]["amount"] == 10 * 650
    assert reconcile["ok"] is True, reconcile


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by init, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


async def test_a_supervisor_killed_outright_takes_its_web_processes_with_it(settings, tmp_path):
    port = free_port()
    proc = await start_two_processes(settings, port, {"SALDO_DATA_DIR": str(tmp_path)})
    children = listening_children(proc.pid, port)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    for _ in range(300):  # polling the children's exit, not test synchronisation
        if not any(alive(child) for child in children):
            break
        await asyncio.sleep(0.1)
    left = [child for child in children if alive(child)]
    for child in left:
        os.kill(child, signal.SIGKILL)
    assert left == [], "web processes outlived their supervisor and kept serving the port"
