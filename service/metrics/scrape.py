"""`GET /metrics`: the token check and the Prometheus text of one scrape: the app's registry
(service/metrics/registry.py), the queue depths (service/metrics/depths.py, and those other
features registered with `Metrics.depth`) and the billing passes' totals
(service/metrics/passes.py), the last two read from the store now, concurrently."""
from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import datetime
from typing import Iterable, Iterator

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from billing.errors import Unauthorized
from service.metrics import depths, passes
from service.metrics.registry import Depth
from service.runtime.context import Services

log = logging.getLogger("saldo.metrics")


def check_token(expected: str, authorization: str | None) -> None:
    """With SALDO_METRICS_TOKEN set, `Authorization: Bearer <it>` (compared in constant time);
    unset: open."""
    if not expected:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if not (hmac.compare_digest(given.strip().encode(), expected.encode())
            and scheme.lower() == "bearer"):
        raise Unauthorized("Missing or invalid metrics token (Authorization: Bearer …)")


class _Scrape(Collector):
    def __init__(self, registry: Collector, read: list[Metric]) -> None:
        self.registry, self.read = registry, read

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()
        yield from self.read


async def exposition(svc: Services, now: datetime) -> bytes:
    """The text of one scrape at `now`. A store read that fails leaves its metric out of this
    scrape (counted in `saldo_scrape_store_errors`): the in-process counters are served
    regardless."""
    labelled = depths.builtin(svc, now) + [(d, {}) for d in svc.metrics.depths]
    results = await asyncio.gather(*(d.read() for d, _ in labelled), passes.totals(svc.db),
                                   return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    for error in failed:
        log.warning("a /metrics store read failed: %r", error)
    read = list(_depth_families(labelled, results[:-1]))
    if not isinstance(results[-1], BaseException):
        read += _pass_families(results[-1])
    errors = GaugeMetricFamily("saldo_scrape_store_errors", "Store reads of this scrape that "
                               "failed (their metrics are missing from it)", len(failed))
    return generate_latest(_Scrape(svc.metrics.registry, [*read, errors]))


def _depth_families(labelled: list[tuple[Depth, dict[str, str]]],
                    results: list) -> Iterable[Metric]:
    families: dict[str, GaugeMetricFamily] = {}
    for (depth, labels), value in zip(labelled, results):
        if isinstance(value, BaseException):
            continue
        family = families.get(depth.name)
        if family is None:
            family = families[depth.name] = GaugeMetricFamily(depth.name, depth.help,
                                                              labels=sorted(labels))
        family.add_metric([labels[k] for k in sorted(labels)], value)
    return families.values()


def _pass_families(totals: dict) -> list[Metric]:
    passes_ = CounterMetricFamily("saldo_billing_passes", "Billing passes run "
                                  "(python -m jobs), recorded in the store", totals["passes"])
    results = CounterMetricFamily("saldo_billing_pass_results", "What the billing passes did, "
                                  "summed over every pass, by outcome", labels=["outcome"])
    for outcome, n in sorted(totals["outcomes"].items()):
        results.add_metric([outcome], n)
    out: list[Metric] = [passes_, results]
    if totals["last_ms"] is not None:
        out.append(GaugeMetricFamily("saldo_billing_pass_last_run_timestamp_seconds",
                                     "When the last billing pass ran (its `now`)",
                                     totals["last_ms"] / 1000))
        out.append(GaugeMetricFamily("saldo_billing_pass_not_reconciled", "Workspaces that did "
                                     "not reconcile at the last billing pass",
                                     totals["last_not_reconciled"] or 0))
    return out
