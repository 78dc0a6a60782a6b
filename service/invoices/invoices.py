"""Invoices on MongoDB: documents, single-document state transitions, and reads.

Every transition is one compare-and-swap from `pending` (service/mongo/revisions.py) that also sets
`settled: false`: "the consequences of this status (code and event, fulfilment, closing the
order) are not all applied yet". `service.payments.orders.settle_invoice` applies them
idempotently and sets it back to true; the sweep re-drives invoices a crash left unsettled.
"""
from __future__ import annotations

import base64
import re
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from billing.errors import NotFound, ValidationFailed
from billing.invoices import InvoiceLine, Order, Text, invoice_year
from billing.money import Money
from billing.payments import paid_in_time
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.revisions import BUMP, swap
from service.runtime.settings import Settings
from service.workspaces.records import Workspace

_CURSOR_ID = re.compile(r"^[a-z]+_[0-9a-z]{1,64}$")


def _line_doc(line: InvoiceLine) -> dict:
    return {"description": line.description.to_dict(), "quantity": line.quantity,
            "unit_price": money_to_doc(line.unit_price), "amount": money_to_doc(line.amount)}


def invoice_doc(invoice_id: str, workspace: Workspace, order: Order, settings: Settings,
                now: datetime) -> dict:
    return {
        "_id": invoice_id, "workspace_id": workspace.id, "code": None, "number": None,
        "year": invoice_year(now, settings.tz), "type": order.invoice_type,
        "order": {"kind": order.kind, **order.reference}, "package": order.package.to_dict(),
        "lines": [_line_doc(line) for line in order.lines], "amount": money_to_doc(order.total),
        "status": "pending", "settled": False, "requested_at": now,
        "expires_at": now + settings.payment_expiry, "paid_at": None, "payment_id": None,
        "buyer": {"workspace_id": workspace.id, "name": workspace.name},
        "seller": {"name": settings.seller_name, "address": settings.seller_address,
                   "tax_id": settings.seller_tax_id},
        "updated_at": now, "rev": 0}


async def insert_invoice(db: AsyncDatabase, doc: dict) -> dict:
    """Insert once; a retry of the same order (same id) gets the stored invoice."""
    try:
        await db.invoices.insert_one(doc)
    except DuplicateKeyError:
        pass
    return await db.invoices.find_one({"_id": doc["_id"]})


async def attach_payment(db: AsyncDatabase, invoice_id: str, payment_id: str) -> None:
    await db.invoices.update_one({"_id": invoice_id, "payment_id": None},
                                 {"$set": {"payment_id": payment_id}, **BUMP})


async def claim_paid(db: AsyncDatabase, invoice_id: str, payment_id: str,
                     succeeded_at: datetime, now: datetime) -> dict | None:
    """pending → paid, only if the payment arrived before the invoice expired. None if lost.

    The deadline is compared here, not in the filter: NX-27017 compares stored datetimes to
    the second only (a payment 0.3 s before the deadline would lose). `expires_at` never
    changes, so checking it on the document read is exact; the swap re-checks `pending`."""
    doc = await db.invoices.find_one({"_id": invoice_id, "status": "pending"})
    if doc is None or not paid_in_time(doc["expires_at"], succeeded_at):
        return None
    return await swap(
        db.invoices, {"_id": invoice_id, "status": "pending"},
        {"status": "paid", "paid_at": succeeded_at, "payment_id": payment_id,
         "settled": False, "updated_at": now})


async def close(db: AsyncDatabase, invoice_id: str, status: str, now: datetime,
                extra: dict | None = None) -> dict | None:
    """pending → expired | failed | cancelled. None when the invoice was no longer pending."""
    return await swap(db.invoices, {"_id": invoice_id, "status": "pending", **(extra or {})},
                      {"status": status, "settled": False, "closed_at": now, "updated_at": now})


async def mark_settled(db: AsyncDatabase, invoice: dict) -> None:
    await swap(db.invoices, {"_id": invoice["_id"], "status": invoice["status"], "settled": False},
               {"settled": True})


async def get(db: AsyncDatabase, invoice_id: str) -> dict:
    doc = await db.invoices.find_one({"_id": invoice_id})
    if doc is None:
        raise NotFound("Invoice not found")
    return doc


async def by_code(db: AsyncDatabase, workspace_id: str, code: str) -> dict:
    """A workspace's invoice by code; another workspace's invoice is simply not found."""
    doc = await db.invoices.find_one({"workspace_id": workspace_id, "code": code})
    if doc is None:
        raise NotFound("Invoice not found", field="code")
    return doc


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        last_id = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        last_id = ""
    if not _CURSOR_ID.match(last_id):
        raise ValidationFailed("Malformed cursor", field="cursor")
    return last_id


async def page(collection, query: dict, limit: int, cursor: str | None) -> tuple[list[dict],
                                                                               str | None]:
    """Newest first by `_id` (ids start with a millisecond timestamp); cursor pagination."""
    if cursor:
        query = {**query, "_id": {"$lt": decode_cursor(cursor)}}
    docs = [d async for d in collection.find(query).sort("_id", -1).limit(limit + 1)]
    more = len(docs) > limit
    docs = docs[:limit]
    return docs, (encode_cursor(docs[-1]["_id"]) if more and docs else None)


async def list_invoices(db: AsyncDatabase, workspace_id: str, *, type_: str | None,
                        status: str | None, limit: int, cursor: str | None):
    query: dict = {"workspace_id": workspace_id}
    if type_:
        query["type"] = type_
    if status:
        query["status"] = status
    return await page(db.invoices, query, limit, cursor)


def amount_of(invoice: dict) -> Money:
    return money_from_doc(invoice["amount"])


def package_of(invoice: dict) -> Text:
    return Text(**invoice["package"])
