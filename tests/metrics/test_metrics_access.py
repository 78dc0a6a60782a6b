"""Who may read /metrics (SALDO_METRICS_TOKEN), the registration hooks other features use, and
one registry per app."""
from __future__ import annotations

import hmac
from dataclasses import replace

from prometheus_client import generate_latest
from pymongo.errors import ServerSelectionTimeoutError

from service.metrics import scrape as scrape_module
from service.metrics.registry import Metrics
from service.runtime.app import create_app
from tests.helpers import ADMIN_TOKEN, app_services
from tests.metrics.helpers import samples, scrape, value

TOKEN = "metrics-token-for-tests"


async def test_with_a_token_set_only_that_bearer_token_reads_metrics(aiohttp_client, settings,
                                                                      clock, monkeypatch):
    client = await aiohttp_client(create_app(replace(settings, metrics_token=TOKEN), clock=clock,
                                             background=False))
    compared, real = [], hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)
    monkeypatch.setattr(scrape_module.hmac, "compare_digest", spy)
    for header in (None, "Bearer wrong-token", f"Bearer {ADMIN_TOKEN}", f"Basic {TOKEN}",
                   f"Bearer {TOKEN}x", "Bearer"):
        resp = await client.get("/metrics", headers={"Authorization": header} if header else {})
        body = await resp.json()
        assert (resp.status, body["error"]["code"]) == (401, "unauthorized"), header
    assert len(compared) == 6 and all(b == TOKEN.encode() for _, b in compared)  # constant time
    scraped = await scrape(client, {"Authorization": f"Bearer {TOKEN}"})
    assert value(scraped, "saldo_whatsapp_webhook_seconds_count", outcome="processed") == 0


async def test_without_a_token_metrics_are_open(api):
    assert (await api.client.get("/metrics")).status == 200


async def test_each_app_counts_in_its_own_registry(aiohttp_client, make_app, api):
    other = await aiohttp_client(make_app())
    app_services(api).metrics.outbound_delivery("delivered")
    mine, theirs = await scrape(api.client), await scrape(other)
    assert value(mine, "saldo_outbound_deliveries_total", outcome="delivered") == 1
    assert value(theirs, "saldo_outbound_deliveries_total", outcome="delivered") == 0


async def test_features_register_counts_and_depths_read_at_scrape_time(api):
    metrics = app_services(api).metrics
    depth = {"now": 3}

    async def pending() -> int:
        return depth["now"]
    metrics.depth("saldo_outbound_queue_depth", "Deliveries waiting", pending)
    metrics.outbound_delivery("failed")
    metrics.outbound_delivery("no-such-outcome")          # never a new label
    scraped = await scrape(api.client)
    assert value(scraped, "saldo_outbound_queue_depth") == 3
    assert value(scraped, "saldo_outbound_deliveries_total", outcome="failed") == 1
    assert value(scraped, "saldo_outbound_deliveries_total", outcome="other") == 1
    depth["now"] = 0
    assert value(await scrape(api.client), "saldo_outbound_queue_depth") == 0


async def test_a_store_read_that_fails_leaves_its_metric_out_not_the_scrape(api):
    async def down() -> int:
        raise ServerSelectionTimeoutError("store down")
    app_services(api).metrics.depth("saldo_broken_depth", "A read that fails", down)
    scraped = await scrape(api.client)
    assert ("saldo_broken_depth", ()) not in scraped
    assert value(scraped, "saldo_scrape_store_errors") == 1
    assert value(scraped, "saldo_payments", state="pending") == 0       # the others are there


def test_two_registries_in_one_process_do_not_collide():
    first, second = Metrics(), Metrics()
    first.payment_moved("failed")
    a, b = (samples(generate_latest(m.registry).decode()) for m in (first, second))
    assert value(a, "saldo_payment_transitions_total", state="failed") == 1
    assert value(b, "saldo_payment_transitions_total", state="failed") == 0
