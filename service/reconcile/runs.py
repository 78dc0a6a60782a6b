"""The last full reconcile's result, kept so that a page can show it without running one (issue
16: at 1,000,000 ledger entries a full reconcile takes minutes; the panel's Operations page ran
one on every load). One document, `reconcile_runs` `_id: "last"`, replaced by every full run
(`GET /v1/admin/reconcile`, the end of every billing pass, the panel's "Reconcile now"): its
time (the run's `now`), how many workspaces it checked and how many did not reconcile, and the
first `SHOWN` of those with what differs. Read only by the panel; nothing else depends on it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pymongo.asynchronous.database import AsyncDatabase

SHOWN = 100            # failing workspaces kept with their details (the count is exact)
LAST = "last"


@dataclass(frozen=True)
class LastRun:
    at: datetime
    workspaces: int                 # checked
    failing: int                    # did not reconcile
    rows: tuple[dict, ...]          # the first SHOWN failing: workspace_id, balances, violations

    @property
    def ok(self) -> bool:
        return self.failing == 0


def failing_row(check) -> dict:
    """A failing WorkspaceCheck (service/reconcile/reconcile.py) as the document keeps it."""
    return {"workspace_id": check.workspace_id,
            "balances": {k: {"ledger_sum": b.ledger_sum, "balance": b.balance, "ok": b.ok}
                         for k, b in check.balances.items()},
            "violations": [v.to_dict() for v in check.violations]}


async def record(db: AsyncDatabase, run: LastRun) -> None:
    await db.reconcile_runs.replace_one({"_id": LAST}, {
        "_id": LAST, "at_ms": int(run.at.timestamp() * 1000), "workspaces": run.workspaces,
        "failing": run.failing, "rows": list(run.rows)}, upsert=True)


async def last(db: AsyncDatabase) -> LastRun | None:
    doc = await db.reconcile_runs.find_one({"_id": LAST})
    if doc is None:
        return None
    return LastRun(datetime.fromtimestamp(doc["at_ms"] / 1000, tz=timezone.utc),
                   int(doc["workspaces"]), int(doc["failing"]), tuple(doc.get("rows") or ()))
