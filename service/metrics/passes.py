"""The billing passes' results, kept in the store: the passes run in `python -m jobs`, another
process (often another machine) than the web process `GET /metrics` is asked, so each pass adds
its report to one document (`billing_passes`, `_id: "totals"`: one atomic `$inc` per pass, a
minute apart) and a scrape reads it back (one find by `_id`). Only this module touches it.

The pass report's keys (service/subscriptions/billing_run.py) become `outcome` labels under
the names below; a key not listed keeps its own name (a new key is a code change, so the
label's values stay few). `not_reconciled` is a state, not a count: the last pass's is kept.
"""
from __future__ import annotations

import logging
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from service.mongo.docs import to_ms

log = logging.getLogger("saldo.metrics")
TOTALS = "totals"
PREFIX = "outcome_"
OUTCOMES = {"rolled_renewed": "renewed", "rolled_changed": "changed",
            "rolled_lapsed": "moved_to_free", "renewals_issued": "renewal_invoiced",
            "errors": "failed", "expired_invoices": "invoices_expired"}
SHOWN = ("due", "claimed", "skipped", "renewal_invoiced", "renewed", "changed",
         "moved_to_free", "failed", "invoices_expired")   # listed even while zero
STATES = frozenset({"not_reconciled"})


async def record(db: AsyncDatabase, report: dict, now: datetime) -> None:
    """Add one pass's report. A store that fails here loses these counts, never the pass."""
    # Flat fields `outcome_<name>`, not `totals.<name>`: NX-27017's upsert inserts a dotted
    # `$inc` path as one literal field name ("totals.renewed"), where MongoDB makes the
    # sub-document; a later update then writes the sub-document beside it.
    counts = {PREFIX + OUTCOMES.get(k, k): v for k, v in report.items()
              if k not in STATES and isinstance(v, int) and v}
    try:
        await db.billing_passes.update_one({"_id": TOTALS}, {
            "$inc": {"passes": 1, **counts},
            # ms, not a datetime: NX-27017 stores a datetime given to $set as a string
            "$set": {"last_ms": to_ms(now),
                     "last_not_reconciled": int(report.get("not_reconciled", 0))}}, upsert=True)
    except Exception:
        log.warning("billing pass totals not recorded", exc_info=True)


async def totals(db: AsyncDatabase) -> dict:
    """{passes, outcomes: {outcome: n}, last_ms, last_not_reconciled}; zeros before any pass."""
    doc = await db.billing_passes.find_one({"_id": TOTALS}) or {}
    outcomes = {name: 0 for name in SHOWN}
    outcomes.update({k[len(PREFIX):]: v for k, v in doc.items() if k.startswith(PREFIX)})
    return {"passes": doc.get("passes", 0), "outcomes": outcomes,
            "last_ms": doc.get("last_ms"), "last_not_reconciled": doc.get("last_not_reconciled")}
