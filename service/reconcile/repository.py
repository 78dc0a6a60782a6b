"""Reconciliation's reads: a window of workspaces at a time, their stored documents turned into the
frozen records of billing/reconcile_records.py. Read only; it never writes.

It reads the collections of other features (ledger, wallets, topups, addon_orders,
subscription_orders, invoices, payments, subscriptions, workspaces, plans, account_credit) in the schema their
repositories store, on purpose without their code: reconciliation checks what is stored, not
what their code believes it stored.

Commands per window of workspaces (issue 16; before, per workspace): the wallets come from the
one streamed `wallets` cursor; then 9 finds, each for the whole window (ledger, top-ups,
add-on orders, plan orders, invoices, payments by the ids the invoices name or were opened
with, the subscriptions, the workspaces, account credit). Plans are read once per run.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from pymongo.asynchronous.database import AsyncDatabase

from billing.money import Money
from billing.rates import RateCard
from billing.reconcile_records import (AddonLine, HoldingRecord, History, InvoiceRecord,
                                       OrderRecord, PaymentRecord, Posting)
from service.credit.repository import record as credit_account
from service.reconcile.pages import ledger_entries, wallet_pages
from service.runtime import ids
from service.wallet.ledger import unjournal

BALANCES = ("conversation", "broadcast")


def window_of(workspace_ids: list[str]) -> dict:
    """The filter of a window of workspaces' documents: the range from the first id to the last
    (documents of other workspaces in it are dropped by the grouping). NX-27017 answers
    `{workspace_id: {$in: ids}}` by scanning the collection (measured on 150,000 ledger entries:
    about 500 ms for 200 ids, growing with the collection), a range on the indexed field from its
    index (36 ms); MongoDB answers `$in` from the index. Dense for the billing pass's reconcile
    (every wallet, in id order); a sparse list given to the admin endpoint reads what lies between
    (streamed and dropped: time, not memory)."""
    first, last = min(workspace_ids), max(workspace_ids)
    return {"workspace_id": {"$eq": first} if first == last else {"$gte": first, "$lte": last}}


@dataclass(frozen=True)
class WalletState:
    """A wallet's buckets by balance: (granted, purchased, arrears)."""
    workspace_id: str
    buckets: dict[str, tuple[int, int, int]]
    journal: tuple[dict, ...]        # the entries of its last update (maybe not in the ledger yet)
    seq: int = 0                     # its updates so far: entries of a later one are not in it


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _money(doc: dict | None) -> Money:
    return Money(int(doc["amount"]), doc.get("currency", "IDR")) if doc else Money.idr(0)


def _posting(doc: dict) -> Posting:
    delta = doc.get("delta") or {}
    return Posting(doc["_id"], doc.get("intent_key", doc["_id"]), doc["kind"], doc["balance"],
                   int(doc["amount"]), (int(delta.get("granted", 0)),
                                        int(delta.get("purchased", 0)),
                                        int(delta.get("arrears", 0))),
                   dict(doc.get("meta") or {}), int(doc.get("order", 0)),
                   datetime.fromtimestamp(doc.get("applied_ms", 0) / 1000, tz=timezone.utc))


def _line(doc: dict) -> AddonLine:
    return AddonLine(doc["addon_id"], doc.get("type", ""), doc.get("billing", ""),
                     int(doc.get("consumption") or 0), int(doc.get("units") or 0),
                     _money(doc.get("amount")))


def _topup(doc: dict) -> OrderRecord:
    return OrderRecord(doc["_id"], "topup", doc["status"], _money(doc["amount"]),
                       doc.get("invoice_id"), balance=doc.get("balance"))


def _addon_order(doc: dict) -> OrderRecord:
    return OrderRecord(doc["_id"], "addon", doc["status"], _money(doc["amount"]),
                       doc.get("invoice_id"), doc.get("outcome") != "not_applied",
                       tuple(_line(x) for x in doc.get("lines") or ()),
                       _utc(doc.get("period_start")), _utc(doc.get("period_end")))


def _plan_order(doc: dict) -> OrderRecord:
    immediate = doc.get("timing") == "immediate"
    lines = [_line(x) for x in doc.get("addons") or ()]
    applied = doc.get("applied")
    if immediate and applied and applied.get("addon_lines") is not None:
        lines = [x for x in lines if x.addon_id in applied["addon_lines"]]
    return OrderRecord(doc["_id"], "plan", doc["status"], _money(doc.get("amount")),
                       doc.get("invoice_id"), doc.get("outcome") != "not_applied", tuple(lines),
                       _utc(doc.get("period_start")), _utc(doc.get("period_end")),
                       plan=doc.get("plan"), immediate=immediate)


def _invoice(doc: dict) -> InvoiceRecord:
    order = doc.get("order") or {}
    return InvoiceRecord(doc["_id"], doc["status"], _money(doc.get("amount")),
                         doc.get("payment_id"), order.get("order_id") or order.get("topup_id"))


def _payment(doc: dict) -> PaymentRecord:
    return PaymentRecord(doc["_id"], doc["invoice_id"], doc["status"], _money(doc.get("amount")),
                         bool(doc.get("resolved", True)))


def _opened_for(invoice_id: str) -> str | None:
    """The payment opened for an invoice: both ids come from one seed (service/runtime/ids.py),
    so a payment no invoice names any more is still found, by the `_id` index."""
    seed = invoice_id.removeprefix("inv_")
    return ids.payment_id(seed) if seed != invoice_id else None


def _holdings(doc: dict | None) -> tuple[HoldingRecord, ...]:
    return tuple(HoldingRecord(a, int(h.get("quantity", 0)), h.get("next_quantity"))
                 for a, h in sorted(((doc or {}).get("addons") or {}).items()))


class ReconcileReads:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    async def plan_rates(self) -> dict[str, dict[str, Money]]:
        return {d["_id"]: {c: _money(m) for c, m in (d.get("rates") or {}).items()}
                async for d in self.db.plans.find({}, {"rates": 1})}

    async def windows(self, workspace_ids: list[str] | None) -> AsyncIterator[list[WalletState]]:
        """Every wallet (or those given), by workspace id, a page of them at a time (pages.py)."""
        async for page in wallet_pages(self.db.wallets, workspace_ids):
            yield [WalletState(doc["_id"], {
                b: (int(doc["balances"][b]["granted"]), int(doc["balances"][b]["purchased"]),
                    int(doc["balances"][b]["arrears"])) for b in BALANCES},
                tuple(unjournal(doc)), int(doc.get("seq", 0))) for doc in page]

    async def histories(self, wallets: list[WalletState], plan_rates: dict[str, dict[str, Money]]
                        ) -> AsyncIterator[tuple[WalletState, int, Callable[[], History]]]:
        """The histories of a window of wallets (sorted by workspace id), one workspace at a time:
        one find per collection for the whole window (by the range of its ids), grouped by
        workspace in code, and the ledger in pages (pages.py), each workspace handed out once its
        entries are all read (memory: one workspace's entries): its wallet, its number of
        entries, and the function that builds its History."""
        if not wallets:
            return
        wallets = sorted(wallets, key=lambda w: w.workspace_id)
        db, ids_ = self.db, [w.workspace_id for w in wallets]
        ours, window = window_of(ids_), set(ids_)
        invoices = await _grouped(db.invoices.find(ours, {
            "workspace_id": 1, "status": 1, "amount": 1, "payment_id": 1, "order": 1}), window)
        payment_ids = sorted({p for ds in invoices.values() for d in ds
                              for p in (d.get("payment_id"), _opened_for(d["_id"])) if p})
        payments = {d["_id"]: d async for d in db.payments.find(
            {"_id": {"$in": payment_ids}},
            {"invoice_id": 1, "status": 1, "amount": 1, "resolved": 1})} if payment_ids else {}
        topups = await _grouped(db.topups.find(ours), window)
        addon_orders = await _grouped(db.addon_orders.find(ours), window)
        plan_orders = await _grouped(db.subscription_orders.find(ours), window)
        subscriptions = {d["_id"]: d async for d in db.subscriptions.find(
            {"_id": {"$in": ids_}}, {"addons": 1})}
        workspaces = {d["_id"]: d async for d in db.workspaces.find(
            {"_id": {"$in": ids_}}, {"plan": 1, "rate_overrides": 1})}
        credit = await _grouped(db.account_credit.find(ours), window)
        entries = _by_workspace(ledger_entries(db.ledger, ids_[0], ids_[-1], {"after": 0}),
                                window)
        ahead = await anext(entries, None)
        for wallet in wallets:
            ws, mine = wallet.workspace_id, []
            while ahead is not None and ahead[0] < ws:     # not expected: both in id order
                ahead = await anext(entries, None)
            if ahead is not None and ahead[0] == ws:
                # the ledger as the wallet read knew it: a post since (a webhook during a long
                # run) wrote seq + 1 and its entries with it (service/wallet/ledger.py)
                mine = [d for d in ahead[1] if int(d.get("seq", 0)) <= wallet.seq]
                ahead = await anext(entries, None)
            applied = {d["_id"] for d in mine}
            mine += [d for d in wallet.journal if d["_id"] not in applied]
            invoiced = invoices.get(ws, [])
            paid = sorted({p for d in invoiced for p in (d.get("payment_id"),
                                                         _opened_for(d["_id"])) if p})
            yield wallet, len(mine), partial(
                _history, ws, mine, (*topups.get(ws, []),), (*addon_orders.get(ws, []),),
                (*plan_orders.get(ws, []),), invoiced, [payments[p] for p in paid if p in payments],
                subscriptions.get(ws), workspaces.get(ws), plan_rates, credit.get(ws, []))


def _history(ws: str, entries: list[dict], topups: tuple, addon_orders: tuple, plan_orders: tuple,
             invoices: list[dict], payments: list[dict], subscription: dict | None,
             workspace: dict | None, plan_rates: dict, credit: list[dict]) -> History:
    """A workspace's documents as the frozen records billing/reconcile.py checks (CPU only:
    reconcile.py runs it in a thread for a long ledger)."""
    postings = tuple(_posting(d) for d in entries)
    return History(ws, postings, (*map(_topup, topups), *map(_addon_order, addon_orders),
                                  *map(_plan_order, plan_orders)),
                   tuple(_invoice(d) for d in invoices), tuple(map(_payment, payments)),
                   _holdings(subscription), _rate_cards(postings, workspace, plan_rates),
                   tuple(credit_account(d) for d in credit))


async def _by_workspace(docs: AsyncIterator[dict],
                        window: set[str]) -> AsyncIterator[tuple[str, list[dict]]]:
    """(workspace id, its entries) for each workspace of the window, as the entries stream by in
    workspace order; the other workspaces' entries the range also matched are dropped."""
    current, mine = None, []
    async for d in docs:
        ws = d.get("workspace_id")
        if ws != current:
            if current in window:
                yield current, mine
            current, mine = ws, []
        if ws in window:
            mine.append(d)
    if current in window:
        yield current, mine


async def _grouped(cursor, window: set[str]) -> dict[str, list[dict]]:
    """The window's workspaces' documents by `workspace_id`, each list in the order read; the
    others the range also matched are dropped as they stream by (memory: the window's)."""
    out: dict[str, list[dict]] = {}
    async for d in cursor:
        if d.get("workspace_id") in window:
            out.setdefault(d["workspace_id"], []).append(d)
    return out


def _rate_cards(postings: tuple[Posting, ...], workspace: dict | None,
                plan_rates: dict[str, dict[str, Money]]) -> tuple[RateCard, ...]:
    """Every card that may have priced the workspace's messages: the plans it had (its grants
    name them, and its current plan), each with and without its current overrides. Rate cards
    have no stored history, so an override removed since is not known."""
    plans = {p.meta.get("plan") for p in postings if p.kind == "grant"}
    plans.add((workspace or {}).get("plan"))
    overrides = {c: _money(m) for c, m in ((workspace or {}).get("rate_overrides") or {}).items()}
    cards = []
    for plan in sorted(p for p in plans if isinstance(p, str)):
        rates = plan_rates.get(plan, {})
        cards += [RateCard(dict(rates), overrides), RateCard(dict(rates), {})]
    return tuple(cards) or (RateCard({}, overrides), RateCard())
