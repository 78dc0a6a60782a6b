"""Account credit's use cases: credit a refund, spend credit on an invoice being placed (and
pay it at once when credit covers it all), give it back when that invoice closes unpaid, and
show balances and history (`GET …/credit`). The rules are billing/account_credit.py's."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from billing import ledger_keys
from billing.account_credit import CreditAccount, CreditEntry, credit_used, usable, with_credit
from billing.invoices import Order
from billing.money import Money
from service.credit import repository
from service.invoices.invoices import codes as invoice_codes
from service.invoices.records import Invoice
from service.mongo import cursors
from service.runtime.context import Services


async def add(svc: Services, workspace_id: str, key: str, amount: Money, meta: Mapping,
              now: datetime) -> None:
    """Credit money owed back (`key`: the holding transition's), once."""
    if amount.amount > 0:
        await repository.post(svc.db, workspace_id, amount.currency, key, "credit",
                              lambda _balance: amount, meta, now)


async def spend(svc: Services, workspace_id: str, invoice_id: str, order: Order, now: datetime,
                *, whole_only: bool = False, due: Money | None = None) -> Order:
    """The order of invoice `invoice_id` with the credit it uses (a "Credit applied" line), the
    credit taken once per invoice (a retry gets the same). `due`: what the invoice would cost
    without credit (the total with tax; default the order's total). `whole_only`: take it only
    if it covers all of that (no payment provider to pay the rest with)."""
    total = due if due is not None else order.total

    def take(balance: Money) -> Money:
        part = usable(balance, total)
        return Money.zero(total.currency) if whole_only and part != total else -part
    entry = await repository.post(svc.db, workspace_id, total.currency,
                                  ledger_keys.credit_applied(invoice_id), "applied", take,
                                  {"invoice_id": invoice_id}, now, create=False)
    return with_credit(order, -entry.amount) if entry else order


async def give_back(svc: Services, invoice: Invoice, now: datetime) -> None:
    """An invoice that used credit closed unpaid (expired, failed, cancelled): its credit comes
    back, once (`credit_returned:<invoice id>`)."""
    if not credit_used(invoice.lines):
        return
    took = await repository.account(svc.db, invoice.workspace_id, invoice.amount.currency)
    applied = took and took.entry(ledger_keys.credit_applied(invoice.id))
    if applied:
        await repository.post(svc.db, invoice.workspace_id, applied.amount.currency,
                              ledger_keys.credit_returned(invoice.id), "returned",
                              lambda _balance: -applied.amount,
                              {"invoice_id": invoice.id, "code": invoice.code}, now)


@dataclass(frozen=True)
class CreditHistory:
    accounts: list[CreditAccount]
    entries: list[tuple[str, CreditEntry]]      # (currency, entry), newest first
    next_cursor: str | None


async def history(svc: Services, workspace_id: str, limit: int,
                  cursor: str | None) -> CreditHistory:
    """Balances per currency and entries newest first, paged by position (opaque cursor)."""
    accounts = await repository.accounts(svc.db, workspace_id)
    start = int(cursors.decode(cursor, str.isdigit)) if cursor else 0
    every = sorted(((a.currency, e) for a in accounts for e in a.entries),
                   key=lambda ce: (ce[1].at, ce[1].n, ce[0]), reverse=True)
    page = await _with_codes(svc, every[start:start + limit])
    more = start + limit < len(every)
    return CreditHistory(accounts, page, cursors.encode(start + limit) if more else None)


async def _with_codes(svc: Services, page: list[tuple[str, CreditEntry]]
                      ) -> list[tuple[str, CreditEntry]]:
    """Each entry's `meta` with the `code` of its invoice: an `applied` entry is posted before
    its invoice is numbered, so it records the invoice id (its key's) and the code is read
    here (one find for the page) for the customer, who knows invoices by their number."""
    wanted = {e.meta["invoice_id"] for _, e in page
              if "code" not in e.meta and isinstance(e.meta.get("invoice_id"), str)}
    codes = await invoice_codes(svc.db, sorted(wanted)) if wanted else {}
    return [(c, replace(e, meta={**e.meta, "code": codes[e.meta["invoice_id"]]})
             if codes.get(e.meta.get("invoice_id")) and "code" not in e.meta else e)
            for c, e in page]
