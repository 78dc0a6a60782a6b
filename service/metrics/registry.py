"""What the service counts for operators, in memory, one registry per app (no global registry:
tests build many apps in one process). `GET /metrics` serves it (service/metrics/scrape.py).

Counting costs no store command and a few dictionary lookups: every labelled child is made
here, once, for the labels' fixed values (outcome, balance, state: nothing per request, no
unbounded label). What only the store knows (queue depths, the billing passes of
`python -m jobs`) is read when scraped, not counted here.

Several web processes (SALDO_WEB_PROCESSES > 1): the supervisor gives its children
PROMETHEUS_MULTIPROC_DIR (service/runtime/processes.py), prometheus-client then keeps each
process's values in a file there, and a scrape, whichever process answers it, sums them all
(prometheus-client's multiprocess mode; it is chosen when prometheus_client is imported, so
`multiprocess()` asks the library, not the settings).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from billing.errors import BillingError, StoreUnavailable, Unauthorized
from service.mongo.store import STORE_DOWN

if TYPE_CHECKING:
    from billing.wallet import LedgerIntent

BALANCES = ("conversation", "broadcast")
# A WhatsApp webhook's outcome: processed now; a payload processed before (Meta's retry);
# stored but left to the sweep; bad signature; bad body (400/413/415); store down (503); a bug.
WEBHOOK_OUTCOMES = ("processed", "duplicate", "deferred", "rejected", "invalid", "unavailable",
                    "error")
PAYMENT_STATES = ("succeeded", "failed", "needs_refund")
# An outbound webhook attempt (service/outbound, counted through `outbound_delivery`).
OUTBOUND_OUTCOMES = ("delivered", "failed", "refused", "gave_up", "other")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

DepthReader = Callable[[], Awaitable[int]]


def multiprocess() -> bool:
    """prometheus-client keeps values in PROMETHEUS_MULTIPROC_DIR (decided at its import)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


@dataclass(frozen=True)
class Depth:
    """A gauge read from the store when scraped (`Metrics.depth`)."""
    name: str
    help: str
    read: DepthReader


class WebhookSeen:
    """Set `outcome` inside `Metrics.webhook()`; an exception decides it otherwise. The
    context manager itself (a class: a generator-based one cost ~6 µs per webhook)."""
    __slots__ = ("outcome", "_histograms", "_started")

    def __init__(self, histograms: dict) -> None:
        self.outcome = "error"
        self._histograms = histograms

    def __enter__(self) -> WebhookSeen:
        self._started = time.perf_counter()
        return self

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self.outcome = webhook_outcome(exc)
        self._histograms[self.outcome].observe(time.perf_counter() - self._started)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        shared = multiprocess()
        if shared:            # the processes' files are the values; nothing per process
            MultiProcessCollector(self.registry, os.environ["PROMETHEUS_MULTIPROC_DIR"])
        else:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
        into = None if shared else self.registry
        webhook = Histogram("saldo_whatsapp_webhook_seconds", "WhatsApp webhook requests (_count) "
                            "and their latency, by outcome", ["outcome"],
                            buckets=LATENCY_BUCKETS, registry=into)
        self._webhook = {o: webhook.labels(o) for o in WEBHOOK_OUTCOMES}
        charges = Counter("saldo_charges", "Messages charged, by balance", ["balance"],
                          registry=into)
        rupiah = Counter("saldo_charged_rupiah", "Rupiah charged for messages (wallets are in "
                         "IDR), by balance", ["balance"], registry=into)
        posts = Counter("saldo_ledger_posts", "Ledger intents applied (a charge, a top-up, a "
                        "grant …), by balance", ["balance"], registry=into)
        self._charges = {b: (charges.labels(b), rupiah.labels(b)) for b in BALANCES}
        self._posts = {b: posts.labels(b) for b in BALANCES}
        self._payments = Counter("saldo_payment_transitions", "Payments moved into a state by "
                                 "this service", ["state"], registry=into)
        for state in PAYMENT_STATES:
            self._payments.labels(state)
        outbound = Counter("saldo_outbound_deliveries", "Outbound webhook delivery attempts, by "
                           "outcome", ["outcome"], registry=into)
        self._outbound = {o: outbound.labels(o) for o in OUTBOUND_OUTCOMES}
        self.depths: list[Depth] = []

    # --- counting (the hot path: no store, no new label) ----------------------------------
    def webhook(self) -> WebhookSeen:
        """Time one WhatsApp webhook request (`with`); the caller sets `.outcome`, or it
        raises."""
        return WebhookSeen(self._webhook)

    def applied(self, intents: Iterable[LedgerIntent]) -> None:
        """Intents the ledger has just applied (each once: service/wallet/ledger.py). Summed
        per balance first: one `inc` per counter and balance for a whole flush, not per intent
        (each takes the value's lock)."""
        posts: dict[str, int] = {}
        charges: dict[str, list[int]] = {}
        for intent in intents:
            posts[intent.balance] = posts.get(intent.balance, 0) + 1
            if intent.kind == "charge":
                summed = charges.setdefault(intent.balance, [0, 0])
                summed[0] += 1
                summed[1] += intent.amount.amount
        for balance, n in posts.items():
            self._posts[balance].inc(n)
        for balance, (n, rupiah) in charges.items():
            count, amount = self._charges[balance]
            count.inc(n)
            amount.inc(rupiah)

    def payment_moved(self, state: str) -> None:
        """A payment this process moved into `state` (its conditional write won)."""
        self._payments.labels(state).inc()

    # --- registration hooks for other features --------------------------------------------
    def outbound_delivery(self, outcome: str) -> None:
        """One outbound webhook attempt: `delivered` (2xx), `failed` (to be retried),
        `refused` (address not allowed), `gave_up` (retries exhausted); else `other`."""
        self._outbound.get(outcome, self._outbound["other"]).inc()

    def depth(self, name: str, help: str, read: DepthReader) -> None:
        """A gauge `name` read by `read()` at every scrape: a cheap, bounded store count (e.g.
        `count_documents(filter, limit=CAP)` on an index); a failing read drops it from that
        scrape only."""
        self.depths.append(Depth(name, help, read))


def webhook_outcome(exc: BaseException) -> str:
    if isinstance(exc, Unauthorized):
        return "rejected"
    if isinstance(exc, (StoreUnavailable, STORE_DOWN)):
        return "unavailable"
    if isinstance(exc, BillingError):
        return "invalid"
    return "error"
