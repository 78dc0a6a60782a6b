"""SALDO_WEB_PROCESSES=2: each scrape, whichever web process answers it, shows the counts of
both (prometheus-client's multiprocess mode, its files under SALDO_DATA_DIR/metrics)."""
from __future__ import annotations

import asyncio
import json
import signal

import aiohttp
from prometheus_client.mmap_dict import MmapedDict

from service.mongo.embedded import free_port
from tests.helpers import ADMIN_TOKEN, sign, status, status_payload
from tests.metrics.helpers import samples, value
from tests.whatsapp import test_web_processes
from tests.whatsapp.test_web_processes import start_two_processes

pytestmark = test_web_processes.pytestmark      # Linux only (reads /proc)

PHONE = "620000000000078"
POSTS, SCRAPES = 16, 12


async def test_every_scrape_counts_the_webhooks_of_both_processes(settings, tmp_path):
    data_dir = tmp_path / "var"
    (data_dir / "metrics").mkdir(parents=True)
    (data_dir / "metrics" / "counter_999999.db").write_bytes(b"from an earlier run")
    port = free_port()
    proc = await start_two_processes(settings, port, {"SALDO_DATA_DIR": str(data_dir)})
    base = f"http://127.0.0.1:{port}"
    try:
        # a new connection per request, so the kernel spreads them over both processes
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            async with http.post(f"{base}/v1/workspaces", json={
                    "name": "Metrics", "phone_number_ids": [PHONE]},
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as resp:
                assert resp.status == 201, await resp.text()

            async def post(i: int) -> int:
                raw = json.dumps(status_payload(PHONE, [status(f"wamid.mp{i}", "delivered",
                                                               "service")])).encode()
                async with http.post(f"{base}/webhooks/whatsapp", data=raw, headers={
                        "Content-Type": "application/json",
                        "X-Hub-Signature-256": sign(raw)}) as r:
                    return r.status
            assert set(await asyncio.gather(*(post(i) for i in range(POSTS)))) == {200}

            async def scrape() -> dict:
                async with http.get(f"{base}/metrics") as r:
                    assert r.status == 200
                    return samples(await r.text())
            scraped = [await scrape() for _ in range(SCRAPES)]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await proc.wait() == 0
    seen = {(value(s, "saldo_whatsapp_webhook_seconds_count", outcome="processed"),
             value(s, "saldo_charges_total", balance="conversation"),
             value(s, "saldo_charged_rupiah_total", balance="conversation")) for s in scraped}
    assert seen == {(POSTS, POSTS, POSTS * 30)}
    files = sorted((data_dir / "metrics").glob("counter_*.db"))
    assert "counter_999999.db" not in {f.name for f in files}   # an earlier run's: removed
    per_process = sorted(charges_in(f) for f in files)
    # both processes charged some, so the scrapes that showed them all summed both
    assert len(per_process) == 2 and 0 < per_process[0] <= per_process[1] < POSTS, per_process


def charges_in(path) -> float:
    """One process's count of conversation charges, from its own file."""
    return sum(v for key, v, _, _ in MmapedDict.read_all_values_from_file(str(path))
               if json.loads(key)[1] == "saldo_charges_total"
               and json.loads(key)[2] == {"balance": "conversation"})
