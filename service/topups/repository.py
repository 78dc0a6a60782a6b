"""The `topups` collection: the only code that reads or writes its documents. A top-up mirrors
its invoice (pending → paid | expired | failed | cancelled), so every field of a pending top-up
derives from that invoice."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from billing.account_credit import before_credit
from billing.money import Money
from service.invoices.records import Invoice
from service.mongo import cursors
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.once import insert_if_absent
from service.mongo.revisions import replace_at_revision, swap


@dataclass(frozen=True)
class Topup:
    id: str
    workspace_id: str
    balance: str
    amount: Money
    status: str
    invoice_id: str
    invoice_code: str | None
    payment_id: str | None
    created_at: datetime
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    rev: int = 0

    @classmethod
    def of_invoice(cls, invoice: Invoice) -> Topup:
        """The pending top-up ordered by a `topup` invoice: its amount is what the wallet gets,
        the invoice's amount before tax (the invoice's `amount` is the total with tax)."""
        return cls(invoice.order.order_id, invoice.workspace_id,
                   str(invoice.order.reference["balance"]),
                   before_credit(invoice.subtotal, invoice.lines), "pending", invoice.id,
                   invoice.code, None, invoice.requested_at)


def to_doc(topup: Topup) -> dict:
    doc = {"_id": topup.id, "workspace_id": topup.workspace_id, "balance": topup.balance,
           "amount": money_to_doc(topup.amount), "status": topup.status,
           "invoice_id": topup.invoice_id, "invoice_code": topup.invoice_code,
           "payment_id": topup.payment_id, "created_at": topup.created_at,
           "paid_at": topup.paid_at, "rev": topup.rev}
    if topup.closed_at is not None:
        doc["closed_at"] = topup.closed_at
    return doc


def from_doc(doc: dict) -> Topup:
    return Topup(doc["_id"], doc["workspace_id"], doc["balance"], money_from_doc(doc["amount"]),
                 doc["status"], doc["invoice_id"], doc.get("invoice_code"), doc.get("payment_id"),
                 doc["created_at"], doc.get("paid_at"), doc.get("closed_at"), doc.get("rev", 0))


class Topups:
    def __init__(self, db: AsyncDatabase) -> None:
        self._docs = db.topups

    async def insert(self, topup: Topup) -> None:
        """Once: a second insert of the same top-up (a retry, the sweep) changes nothing."""
        await insert_if_absent(self._docs, to_doc(topup))

    async def get(self, topup_id: str) -> Topup | None:
        doc = await self._docs.find_one({"_id": topup_id})
        return from_doc(doc) if doc else None

    async def leave_pending(self, pending: Topup, **changes) -> Topup | None:
        """pending → paid | expired | failed | cancelled. One revision-checked replace of the
        pending top-up as the caller holds it (NX-27017: a `$set` would store the datetimes as
        strings, see service/mongo/revisions.py), else a swap from a fresh read. None when the
        top-up is no longer pending."""
        new = replace(pending, **changes)
        done = await replace_at_revision(self._docs, to_doc(pending), _changed(new))
        if done is None:
            done = await swap(self._docs, {"_id": pending.id, "status": "pending"}, _changed(new))
        return from_doc(done) if done else None

    async def page(self, workspace_id: str, *, limit: int,
                   cursor: str | None) -> tuple[list[Topup], str | None]:
        docs, next_cursor = await cursors.page(self._docs, {"workspace_id": workspace_id},
                                                limit, cursor)
        return [from_doc(d) for d in docs], next_cursor


def _changed(topup: Topup) -> dict:
    doc = to_doc(topup)
    return {k: doc[k] for k in ("status", "paid_at", "payment_id", "closed_at") if k in doc}
