"""Reconcile: prove, workspace by workspace, that every balance equals the sum of its ledger and
that every ledger entry has a cause that allows it (billing/reconcile.py).

Streamed, and bounded per store command (issue 16; service/reconcile/pages.py): wallets are read
a page of `WALLET_PAGE` at a time; for each such window of workspaces their other documents are
read by one find per collection and their ledger `LEDGER_PAGE` entries per find, and each
workspace is checked and dropped once its entries are read, so memory holds one workspace's
entries and a window's other documents (plus the result rows the caller keeps), and no command
holds the store for longer than a page takes, whatever the ledger's size.
Every violation is logged at error level (`saldo.reconcile`, with its objects) and returned;
nothing is repaired. There are no metrics yet (issue 15/16): the log line is the alert.

Called by `GET /v1/admin/reconcile`, at the end of every billing pass and by the panel's
"Reconcile now"; every full run is kept (service/reconcile/runs.py) for the panel to show.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from billing.reconcile import check
from billing.reconcile_records import History, Posting, Violation
from service.reconcile import runs
from service.reconcile.repository import BALANCES, ReconcileReads, WalletState
from service.reconcile.runs import SHOWN, LastRun, failing_row
from service.runtime.context import Services

log = logging.getLogger("saldo.reconcile")
IN_THREAD_FROM = 1000     # ledger entries of a workspace checked in a worker thread


@dataclass(frozen=True)
class BalanceCheck:
    ledger_sum: int
    balance: int
    ok: bool


@dataclass(frozen=True)
class WorkspaceCheck:
    workspace_id: str
    balances: dict[str, BalanceCheck]
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations and all(b.ok for b in self.balances.values())


@dataclass(frozen=True)
class Report:
    workspaces: list[WorkspaceCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(w.ok for w in self.workspaces)

    @property
    def violations(self) -> list[Violation]:
        return [v for w in self.workspaces for v in w.violations]


def _balances(wallet: WalletState, postings: tuple[Posting, ...]) -> dict[str, BalanceCheck]:
    sums = dict.fromkeys(BALANCES, 0)
    for p in postings:
        sums[p.balance] = sums.get(p.balance, 0) + p.amount
    out = {}
    for kind in BALANCES:
        granted, purchased, arrears = wallet.buckets[kind]
        net = granted + purchased - arrears
        out[kind] = BalanceCheck(sums[kind], net,
                                 sums[kind] == net and min(granted, purchased, arrears) >= 0)
    return out


async def each_workspace(svc: Services,
                         workspace_ids: list[str] | None = None) -> AsyncIterator[WorkspaceCheck]:
    """Check every workspace (or those given), logging what does not hold, in workspace id
    order. A window of wallets is read at once (pages.WALLET_PAGE), their other documents by one
    find per collection, their ledger in pages; each workspace is checked and dropped as soon as
    its entries are read."""
    reads = ReconcileReads(svc.db)
    plan_rates = await reads.plan_rates()
    async for window in reads.windows(workspace_ids):
        async for wallet, entries, history in reads.histories(window, plan_rates):
            if entries < IN_THREAD_FROM:
                yield _one(wallet, history())
            else:       # ~0.1 ms an entry of CPU: not on the event loop that serves webhooks
                yield await asyncio.to_thread(lambda: _one(wallet, history()))


def _one(wallet: WalletState, history: History) -> WorkspaceCheck:
    result = WorkspaceCheck(wallet.workspace_id, _balances(wallet, history.postings),
                            tuple(check(history)))
    for kind, b in result.balances.items():
        if not b.ok:
            log.error("balance does not equal its ledger", extra={"fields": {
                "workspace_id": wallet.workspace_id, "balance": kind,
                "ledger_sum": b.ledger_sum, "net": b.balance}})
    for v in result.violations:
        log.error("reconciliation violation: %s", v.rule, extra={"fields": v.to_dict()})
    return result


async def reconcile(svc: Services, workspace_ids: list[str] | None = None,
                    now: datetime | None = None) -> Report:
    """Every workspace's result (the admin endpoint's answer); a full run is kept (runs.py)."""
    now = now or svc.clock.now()
    report = Report([w async for w in each_workspace(svc, workspace_ids)])
    if workspace_ids is None:
        failing = [w for w in report.workspaces if not w.ok]
        await runs.record(svc.db, LastRun(now, len(report.workspaces), len(failing),
                                          tuple(map(failing_row, failing[:SHOWN]))))
    return report


async def count_failing(svc: Services, now: datetime | None = None) -> int:
    """How many workspaces do not reconcile, keeping nothing but the count and the first
    `SHOWN` of them (billing pass; the run is kept, runs.py)."""
    now = now or svc.clock.now()
    checked, failing, rows = 0, 0, []
    async for w in each_workspace(svc):
        checked += 1
        if not w.ok:
            failing += 1
            rows += [failing_row(w)] if len(rows) < SHOWN else []
    await runs.record(svc.db, LastRun(now, checked, failing, tuple(rows)))
    return failing


async def last_run(svc: Services) -> LastRun | None:
    """The last full run kept (runs.py): the panel's Operations page, the billing pass."""
    return await runs.last(svc.db)
