"""Invoices on MongoDB: documents, single-document state transitions, and reads.

Every transition is one compare-and-swap from `pending` (service/mongo/revisions.py) that also sets
`settled: false`: "the consequences of this status (code and event, fulfilment, closing the
order) are not all applied yet". `service.payments.orders.settle_invoice` applies them
idempotently and sets it back to true; the sweep re-drives invoices a crash left unsettled.
"""
from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from pymongo.asynchronous.database import AsyncDatabase

from billing.errors import NotFound
from billing.invoices import InvoiceLine, Order, Text, invoice_year
from billing.payments import paid_in_time
from service.mongo import cursors
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.filters import explicit
from service.invoices.records import Invoice, Line, OrderRef, Party
from service.invoices.taxes import OrderTax, invoice_tax_from_doc, invoice_tax_to_doc
from service.mongo.once import insert_or_read
from service.mongo.revisions import ATTEMPTS, BUMP, Contended, replace_at_revision, swap
from service.runtime.context import Services
from service.runtime.settings import Settings
from service.workspaces.records import Workspace


def _line_doc(line: InvoiceLine | Line) -> dict:
    return {"description": line.description.to_dict(), "quantity": line.quantity,
            "unit_price": money_to_doc(line.unit_price), "amount": money_to_doc(line.amount)}


def buyer_of(workspace: Workspace) -> Party:
    """The buyer an invoice issued now prints: the billing information if filled, else the
    workspace's name (an invoice keeps the buyer it was issued with)."""
    info = workspace.billing_info
    if info is None:
        return Party(workspace.name, workspace_id=workspace.id)
    return Party(info.legal_name or workspace.name, info.address, info.npwp, workspace.id,
                 info.billing_email, info.phone)


def _party_doc(party: Party) -> dict:
    doc = {"workspace_id": party.workspace_id, "name": party.name}
    extra = {"address": party.address, "tax_id": party.tax_id, "email": party.email,
             "phone": party.phone}
    return {**doc, **{k: v for k, v in extra.items() if v}}


def _party(doc: dict) -> Party:
    return Party(doc["name"], doc.get("address", ""), doc.get("tax_id", ""),
                 doc.get("workspace_id", ""), doc.get("email", ""), doc.get("phone", ""))


def _new_doc(invoice_id: str, workspace: Workspace, order: Order, settings: Settings,
             now: datetime, payment_id: str | None, taxed: OrderTax | None) -> dict:
    """A new pending invoice, already naming the payment that will be opened for it. Taxed:
    `amount` is the total with tax and `tax` its breakdown (service/invoices/taxes.py)."""
    tax = taxed.tax if taxed else None
    doc = {
        "_id": invoice_id, "workspace_id": workspace.id, "code": None, "number": None,
        "year": invoice_year(now, settings.tz), "type": order.invoice_type,
        "order": {"kind": order.kind, **order.reference}, "package": order.package.to_dict(),
        "lines": [_line_doc(line) for line in order.lines],
        "amount": money_to_doc(tax.total if tax else order.total),
        "status": "pending", "settled": False, "requested_at": now,
        "expires_at": now + settings.payment_expiry, "paid_at": None, "payment_id": payment_id,
        "buyer": _party_doc(buyer_of(workspace)),
        "seller": {"name": settings.seller_name, "address": settings.seller_address,
                   "tax_id": taxed.seller_tax_id if taxed else settings.seller_tax_id},
        "updated_at": now, "rev": 0}
    if tax is not None:
        doc["tax"] = invoice_tax_to_doc(tax)
    return doc


async def insert_invoice(db: AsyncDatabase, invoice_id: str, workspace: Workspace, order: Order,
                         settings: Settings, now: datetime, payment_id: str | None,
                         taxed: OrderTax | None = None) -> Invoice:
    """Insert once; a retry of the same order (same id) gets the stored invoice."""
    return record(await insert_or_read(
        db.invoices, _new_doc(invoice_id, workspace, order, settings, now, payment_id, taxed)))


async def attach_payment(db: AsyncDatabase, invoice: Invoice, payment_id: str) -> Invoice:
    """An invoice stored before invoices named their payment at insertion (older versions)."""
    await db.invoices.update_one({"_id": invoice.id, "payment_id": None},
                                 {"$set": {"payment_id": payment_id}, **BUMP})
    return await get(db, invoice.id)


async def claim_paid(db: AsyncDatabase, invoice_id: str, payment_id: str,
                     succeeded_at: datetime, now: datetime) -> Invoice | None:
    """pending → paid, only if the payment arrived before the invoice expired and is the one the
    invoice names (pay later may have moved it on to a newer payment). None if lost.

    The deadline is compared here, not in the filter: NX-27017 compares stored datetimes to
    the second only (a payment 0.3 s before the deadline would lose). `expires_at` never
    changes, so checking it on the document read is exact; the swap re-checks `pending`."""
    doc = await db.invoices.find_one({"_id": invoice_id, "status": "pending"})
    if doc is None or not paid_in_time(doc["expires_at"], succeeded_at) or \
            doc.get("payment_id") not in (None, payment_id):   # superseded (pay later)
        return None
    change = {"status": "paid", "paid_at": succeeded_at, "payment_id": payment_id,
              "settled": False, "updated_at": now}
    return _record_or_none(await replace_at_revision(db.invoices, doc, change) or
                           await swap(db.invoices, {"_id": invoice_id, "status": "pending",
                                                    "payment_id": doc.get("payment_id")},
                                      change))


async def paid_by_credit(db: AsyncDatabase, invoice: Invoice, now: datetime) -> Invoice | None:
    """pending → paid without a payment: account credit covered it all (service/credit/).
    None when it was no longer pending."""
    change = {"status": "paid", "paid_at": now, "payment_id": None, "settled": False,
              "updated_at": now}
    return _record_or_none(await replace_at_revision(db.invoices, to_doc(invoice), change) or
                           await swap(db.invoices, {"_id": invoice.id, "status": "pending"},
                                      change))


async def switch_payment(db: AsyncDatabase, invoice: Invoice, payment_id: str,
                         now: datetime) -> Invoice | None:
    """Pay later: the pending invoice as held moves on to a new payment, only if it still names
    the payment it named when read (one conditional write; concurrent clicks: one wins).
    → the invoice, or None when it changed meanwhile (the caller reads it again)."""
    change = {"payment_id": payment_id, "updated_at": now}
    done = await replace_at_revision(db.invoices, to_doc(invoice), change)
    if done is None:
        done = await swap(db.invoices, {"_id": invoice.id, "status": "pending",
                                        "payment_id": invoice.payment_id}, change)
    return _record_or_none(done)


async def close(db: AsyncDatabase, invoice_id: str, status: str, now: datetime,
                extra: dict | None = None) -> Invoice | None:
    """pending → expired | failed | cancelled. None when the invoice was no longer pending."""
    return _record_or_none(await swap(
        db.invoices, {"_id": invoice_id, "status": "pending", **(extra or {})},
        {"status": status, "settled": False, "closed_at": now, "updated_at": now}))


async def mark_settled(db: AsyncDatabase, invoice: Invoice, code: str,
                       number: int | None) -> Invoice:
    """`settled: true`, and the code if the invoice has none yet (service/invoices/numbering.py):
    one replace of the invoice as the caller holds it, or, if it changed meanwhile, a swap from
    a fresh read (only while it still has the status that was applied)."""
    change = {"settled": True, "code": invoice.code or code, "number": invoice.number or number}
    done = await replace_at_revision(db.invoices, to_doc(invoice), change)
    if done:
        return record(done)
    match = {"_id": invoice.id, "status": invoice.status, "settled": False}
    for _ in range(ATTEMPTS):
        doc = await db.invoices.find_one(match)
        if doc is None:
            return await get(db, invoice.id)
        done = await replace_at_revision(db.invoices, doc, {
            "settled": True, "code": doc.get("code") or code,
            "number": doc.get("number") or number})
        if done:
            return record(done)
    raise Contended(f"invoice {invoice.id!r} kept changing")


async def find(db: AsyncDatabase, invoice_id: str, *, status: str) -> Invoice | None:
    return _record_or_none(await db.invoices.find_one({"_id": invoice_id, "status": status}))


async def pending_due(db: AsyncDatabase, now: datetime, limit: int) -> list[Invoice]:
    """Pending invoices whose deadline has passed at `now`. NX-27017 compares datetimes as
    strings, to the second: its `$lte` only narrows (it may also return invoices due later
    within this second), and the deadline is checked here, exactly."""
    due = db.invoices.find({"status": "pending", "expires_at": {"$lte": now}}).limit(limit)
    return [record(d) async for d in due if d["expires_at"] <= now]


async def unsettled(db: AsyncDatabase, updated_before: datetime, limit: int) -> list[Invoice]:
    """Invoices a crash left `settled: false` (re-driven by the sweep). NX-27017 compares the
    `updated_at` datetimes as strings, to the second: plenty for a cutoff a minute back."""
    query = {"settled": False, "updated_at": {"$lt": updated_before}}
    return [record(d) async for d in db.invoices.find(query).limit(limit)]


async def get(db: AsyncDatabase, invoice_id: str) -> Invoice:
    doc = await db.invoices.find_one({"_id": invoice_id})
    if doc is None:
        raise NotFound("Invoice not found")
    return record(doc)


async def codes(db: AsyncDatabase, invoice_ids: list[str]) -> dict[str, str]:
    """invoice id → its code, for those of `invoice_ids` that have one (one find)."""
    found = db.invoices.find({"_id": {"$in": invoice_ids}}, {"code": 1})
    return {d["_id"]: d["code"] async for d in found if d.get("code")}


async def by_code(svc: Services, workspace_id: str, code: str) -> Invoice:
    """A workspace's invoice by code; another workspace's invoice is simply not found."""
    doc = await svc.db.invoices.find_one(explicit({"workspace_id": workspace_id, "code": code}))
    if doc is None:
        raise NotFound("Invoice not found", field="code")
    return record(doc)


async def list_invoices(svc: Services, workspace_id: str, *, type_: str | None,
                        status: str | None, limit: int,
                        cursor: str | None) -> tuple[list[Invoice], str | None]:
    query: dict = {"workspace_id": workspace_id}
    if type_:
        query["type"] = type_
    if status:
        query["status"] = status
    docs, next_cursor = await cursors.page(svc.db.invoices, query, limit, cursor)
    return [record(d) for d in docs], next_cursor


def record(doc: dict) -> Invoice:
    seller, buyer, order = doc["seller"], doc["buyer"], dict(doc["order"])
    kind = order.pop("kind")
    amount = money_from_doc(doc["amount"])
    return Invoice(
        doc["_id"], doc["workspace_id"], doc.get("code"), doc["type"],
        OrderRef(kind, MappingProxyType(order)), Text(**doc["package"]),
        tuple(_line(line) for line in doc["lines"]), amount,
        doc["status"], bool(doc.get("settled")), doc["requested_at"], doc["expires_at"],
        doc.get("paid_at"), doc.get("payment_id"),
        _party(buyer),
        Party(seller["name"], seller["address"], seller["tax_id"]),
        number=doc.get("number"), year=doc["year"], updated_at=doc.get("updated_at"),
        closed_at=doc.get("closed_at"), rev=doc.get("rev", 0),
        tax=invoice_tax_from_doc(doc.get("tax"), amount))


def _record_or_none(doc: dict | None) -> Invoice | None:
    return record(doc) if doc else None


def _line(doc: dict) -> Line:
    return Line(Text(**doc["description"]), doc["quantity"], money_from_doc(doc["unit_price"]),
                money_from_doc(doc["amount"]))


def to_doc(invoice: Invoice) -> dict:
    """The document `record` read, field for field (as `_new_doc` wrote it, plus what its
    transitions added): the replaces of service/mongo/revisions.py write it back whole."""
    doc = {
        "_id": invoice.id, "workspace_id": invoice.workspace_id, "code": invoice.code,
        "number": invoice.number, "year": invoice.year, "type": invoice.type,
        "order": {"kind": invoice.order.kind, **invoice.order.reference},
        "package": invoice.package.to_dict(),
        "lines": [_line_doc(line) for line in invoice.lines],
        "amount": money_to_doc(invoice.amount), "status": invoice.status,
        "settled": invoice.settled, "requested_at": invoice.requested_at,
        "expires_at": invoice.expires_at, "paid_at": invoice.paid_at,
        "payment_id": invoice.payment_id,
        "buyer": _party_doc(invoice.buyer),
        "seller": {"name": invoice.seller.name, "address": invoice.seller.address,
                   "tax_id": invoice.seller.tax_id},
        "updated_at": invoice.updated_at, "rev": invoice.rev}
    if invoice.closed_at is not None:
        doc["closed_at"] = invoice.closed_at
    if invoice.buyer.tax_id:
        doc["buyer"]["tax_id"] = invoice.buyer.tax_id
    if invoice.tax is not None:
        doc["tax"] = invoice_tax_to_doc(invoice.tax)
    return doc
