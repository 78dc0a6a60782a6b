"""Reconcile: prove, workspace by workspace, that every balance equals the sum of its ledger and
that every ledger entry has a cause that allows it (billing/reconcile.py).

Streamed: wallets are read from one cursor, and the histories of a window of `WINDOW`
workspaces are read at once (one find per collection for the window), checked and dropped, so memory holds a window's histories (plus
the result rows the caller keeps).
Every violation is logged at error level (`saldo.reconcile`, with its objects) and returned;
nothing is repaired. There are no metrics yet (issue 15/16): the log line is the alert.

Called by `GET /v1/admin/reconcile` and at the end of every billing pass.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from billing.reconcile import check
from billing.reconcile_records import History, Posting, Violation
from service.reconcile.repository import BALANCES, ReconcileReads, WalletState
from service.runtime.context import Services

log = logging.getLogger("saldo.reconcile")
WINDOW = 200        # workspaces read at once (9 finds per window)


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
    """Check every workspace (or those given), logging what does not hold. Up to `WINDOW`
    workspaces are read at once (their commands overlap), and results come in wallet order."""
    reads = ReconcileReads(svc.db)
    plan_rates = await reads.plan_rates()
    window: list[WalletState] = []
    async for wallet in reads.wallets(workspace_ids):
        window.append(wallet)
        if len(window) == WINDOW:
            for result in await _checked(reads, window, plan_rates):
                yield result
            window = []
    for result in await _checked(reads, window, plan_rates):
        yield result


async def _checked(reads: ReconcileReads, wallets: list[WalletState],
                   plan_rates: dict) -> list[WorkspaceCheck]:
    histories = await reads.histories(wallets, plan_rates)
    return [_one(w, h) for w, h in zip(wallets, histories)]


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


async def reconcile(svc: Services, workspace_ids: list[str] | None = None) -> Report:
    """Every workspace's result (the admin endpoint's answer)."""
    return Report([w async for w in each_workspace(svc, workspace_ids)])


async def count_failing(svc: Services) -> int:
    """How many workspaces do not reconcile, keeping nothing but the count (billing pass)."""
    return sum([not w.ok async for w in each_workspace(svc)])
