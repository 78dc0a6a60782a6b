"""Reconciliation of account credit (billing/account_credit.py), one workspace at a time:

* its balance equals the sum of its ledger and is never negative (`credit_balance_mismatch`);
* every credit has a cause, the holding transition whose key it carries (an `addon_refund` or
  `addon_excess` key): `as_postings` hands the credits to billing/reconcile.py's credit rules
  (cause, one credit per holding revision, refunds within what was paid), which report a
  forged one (`credit_without_cause`); a consumption key is the wallet's, not credit's;
* every debit applies to one invoice of the workspace, once (`credit_applied:<invoice id>`,
  unique in the account; `credit_applied_without_invoice`, `credit_applied_twice`);
* a return gives back exactly what its invoice took, only once that invoice closed unpaid
  (`credit_returned_without_cause`).
"""
from __future__ import annotations

from collections import Counter

from billing import ledger_keys
from billing.account_credit import CreditAccount
from billing.reconcile_records import History, Posting, Violation

CLOSED_UNPAID = ("expired", "cancelled", "failed")


def as_postings(h: History) -> tuple[Posting, ...]:
    """The account-credit credits as the wallet's add-on credits are (balance
    `account_credit`), for the credit rules they share."""
    return tuple(Posting(e.key, e.key, "addon_credit", "account_credit", e.amount.amount,
                         (0, e.amount.amount, 0), e.meta, e.n, e.at)
                 for a in h.credit_accounts for e in a.entries if e.kind == "credit")


def account_credit(h: History) -> list[Violation]:
    out: list[Violation] = []
    for account in h.credit_accounts:
        out += _account(h, account)
    return out


def _account(h: History, a: CreditAccount) -> list[Violation]:
    invoices = {i.id: i for i in h.invoices}
    out, ws = [], h.workspace_id
    total = sum(e.amount.amount for e in a.entries)
    if total != a.balance.amount or a.balance.is_negative():
        out.append(Violation("credit_balance_mismatch", "account credit does not equal its "
                             "ledger", ws, details={"currency": a.currency, "ledger_sum": total,
                                                   "balance": a.balance.amount}))
    for key, n in Counter(e.key for e in a.entries).items():
        if n > 1:
            out.append(Violation("credit_applied_twice", f"{n} entries with one key", ws, (key,)))
    for e in a.entries:
        cause = ledger_keys.parse(e.key)
        if e.kind == "credit" and (cause.kind == "addon_credit" or e.amount.amount <= 0):
            out.append(Violation("credit_without_cause", "account credit whose key names no "
                                 "holding transition", ws, (e.key,)))
        elif e.kind == "applied" and (cause.kind != "credit_applied"
                                      or cause.ref not in invoices):
            out.append(Violation("credit_applied_without_invoice", "account credit used by no "
                                 "invoice of the workspace", ws, (e.key,), invoice_id=cause.ref))
        elif e.kind == "returned":
            took = a.entry(ledger_keys.credit_applied(cause.ref or ""))
            inv = invoices.get(cause.ref or "")
            if cause.kind != "credit_returned" or took is None or inv is None or \
                    inv.status not in CLOSED_UNPAID or took.amount != -e.amount:
                out.append(Violation("credit_returned_without_cause", "account credit given "
                                     "back for no closed invoice that took it", ws, (e.key,),
                                     invoice_id=cause.ref))
        elif e.kind not in ("credit", "applied", "returned"):
            out.append(Violation("credit_without_cause", "unknown account credit entry", ws,
                                 (e.key,)))
    return out
