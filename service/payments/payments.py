"""Payments on MongoDB: the configured provider, opening a payment for an invoice, recording
provider callbacks, and the admin's view.

A payment document: {_id, workspace_id, invoice_id, invoice_code, provider, amount, status:
pending|succeeded|failed|needs_refund, resolved, provider_reference, checkout_url, …}.
`resolved: false` means "this status's consequences are not all applied yet"
(see service/payments/settlement.py); the sweep re-drives such payments.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from pymongo.asynchronous.database import AsyncDatabase

from billing.errors import GatewayUnavailable, NotFound, PaymentsUnavailable
from billing.payments import (Item, Payer, PaymentCallback, PaymentProvider, PaymentRequest,
                              link_expiry)
from service.invoices import invoices
from service.invoices.records import Invoice, Payment, Refund
from service.mongo import cursors
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.once import insert_if_absent, insert_or_read
from service.mongo.revisions import replace_at_revision, swap
from service.runtime.context import Services
from service.runtime.settings import Settings


NO_PROVIDER = "none"
KNOWN = ("sandbox", "xendit", "midtrans")   # the providers service/payments/providers.py builds


def check_configuration(settings: Settings) -> None:
    """At start-up: SALDO_PAYMENT_PROVIDER must name a known provider, or be `none`, and a
    gateway that is chosen or half configured must have every secret it needs."""
    chosen = settings.payment_provider
    if chosen != NO_PROVIDER and chosen not in KNOWN:
        raise ValueError(f"SALDO_PAYMENT_PROVIDER={chosen!r} is not a known payment provider "
                         f"(known: {', '.join(KNOWN)}, or none)")
    needs = {"xendit": {"XENDIT_SECRET_KEY": settings.xendit_secret_key,
                        "XENDIT_CALLBACK_TOKEN": settings.xendit_callback_token},
             "midtrans": {"MIDTRANS_SERVER_KEY": settings.midtrans_server_key}}
    for gateway, secrets in needs.items():
        missing = [name for name, value in secrets.items() if not value]
        if not missing or (chosen != gateway and len(missing) == len(secrets)):
            continue
        why = f"SALDO_PAYMENT_PROVIDER={gateway}" if chosen == gateway \
            else f"{gateway} is half configured:"
        raise ValueError(f"{why} needs {' and '.join(missing)} in the environment")


def configured_provider(settings: Settings,
                        providers: Mapping[str, PaymentProvider]) -> PaymentProvider:
    """The provider new payments go to (SALDO_PAYMENT_PROVIDER), from `Services.providers`.
    With `none` (the default), nothing can be ordered: the sandbox hands out credit to anyone
    holding a checkout link, so it is never on unless asked for (`make run` asks for it)."""
    check_configuration(settings)
    found = providers.get(settings.payment_provider)
    if found is None:
        raise PaymentsUnavailable("No payment provider is configured (SALDO_PAYMENT_PROVIDER)")
    return found


def provider(providers: Mapping[str, PaymentProvider], name: str) -> PaymentProvider:
    found = providers.get(name)
    if found is None:
        raise NotFound(f"Payment provider {name!r} is not enabled", field="provider")
    return found


def payment_doc(payment_id: str, invoice: Invoice, provider_name: str, now: datetime) -> dict:
    return {"_id": payment_id, "workspace_id": invoice.workspace_id,
            "invoice_id": invoice.id, "invoice_code": invoice.code,
            "provider": provider_name, "amount": money_to_doc(invoice.amount), "status": "pending",
            "resolved": True, "provider_reference": None, "checkout_url": None,
            "created_at": now, "updated_at": now, "rev": 0}


def payment_request(invoice: Invoice, now: datetime) -> PaymentRequest:
    """What the provider is asked to collect for the invoice: its amount, its lines (when they
    add up to it, with the tax), the buyer as issued, and a link that lives as long as the
    invoice has left (PAYMENT_EXPIRY for a new order)."""
    bought = invoice.subtotal
    description = invoice.package.render("id", f"{bought.currency} {bought.amount}")
    items = [Item(line.description.render("id"), line.quantity, line.unit_price)
             for line in invoice.lines]
    if invoice.tax and not invoice.tax.prices_include_tax and invoice.tax.tax.amount:
        items.append(Item("PPN", 1, invoice.tax.tax))
    consistent = all(i.unit_price.amount >= 0 and i.quantity > 0 for i in items) and \
        sum(i.unit_price.amount * i.quantity for i in items) == invoice.amount.amount
    buyer = invoice.buyer
    return PaymentRequest(invoice.payment_id or "", invoice.code or "", description,
                          invoice.amount, Payer(buyer.name, buyer.email, buyer.phone),
                          tuple(items) if consistent else (),
                          max(0, int((invoice.expires_at - now).total_seconds())))


async def open_payment(db: AsyncDatabase, prov: PaymentProvider, invoice: Invoice,
                       now: datetime) -> Payment:
    """Create the invoice's payment (`invoice.payment_id`) with its provider's checkout URL,
    once: the provider is asked first (by the payment's id, so asking again on a retry is
    harmless), then the payment is inserted whole; a retry gets the stored payment. Its link
    lapses with the invoice, or earlier if the provider says so.

    A gateway that is down (GatewayUnavailable, within SALDO_GATEWAY_TIMEOUT) does not stop
    the order: the payment is stored without its link (`checkout_url` None), and asking again
    (pay later, or the payments sweep: `unopened`) opens it."""
    try:
        checkout = await prov.create_payment(payment_request(invoice, now))
    except GatewayUnavailable:
        doc = payment_doc(invoice.payment_id, invoice, prov.name, now)
        return record(await insert_or_read(db.payments, doc))
    link = {"checkout_url": checkout.checkout_url,
            "provider_reference": checkout.provider_reference,
            "expires_at": link_expiry(invoice.expires_at, checkout.expires_at)}
    stored = record(await insert_or_read(db.payments, {
        **payment_doc(invoice.payment_id, invoice, prov.name, now), **link}))
    if stored.checkout_url is None and stored.status == "pending":   # stored while down
        stored = await change_status(db, stored, "pending", **link, updated_at=now) or \
            await get(db, stored.id)
    return stored


async def get(db: AsyncDatabase, payment_id: str, provider_name: str | None = None) -> Payment:
    query: dict = {"_id": payment_id}
    if provider_name:
        query["provider"] = provider_name
    payment = await db.payments.find_one(query)
    if payment is None:
        raise NotFound("Payment not found", field="payment_id")
    return record(payment)


async def record_callback(db: AsyncDatabase, provider_name: str, callback: PaymentCallback,
                          raw: bytes, now: datetime) -> None:
    """Keep every verified callback as received (the first copy of each provider event)."""
    await insert_if_absent(db.payment_callbacks, {
        "_id": f"{provider_name}:{callback.event_id}", "payment_id": callback.payment_id,
        "status": callback.status, "body": raw.decode("utf-8", errors="replace"),
        "received_at": now})


async def list_payments(svc: Services, *, status: str | None, limit: int,
                        cursor: str | None) -> tuple[list[Payment], str | None]:
    docs, next_cursor = await cursors.page(svc.db.payments, {"status": status} if status else {},
                                            limit, cursor)
    return [record(d) for d in docs], next_cursor


def record(doc: dict) -> Payment:
    return Payment(doc["_id"], doc["workspace_id"], doc["invoice_id"], doc.get("invoice_code"),
                   doc["provider"], doc.get("provider_reference"), doc.get("checkout_url"),
                   money_from_doc(doc["amount"]), doc["status"], doc.get("refund_reason"),
                   doc["created_at"], doc.get("succeeded_at"), doc.get("failed_at"),
                   bool(doc.get("resolved", True)), doc.get("event_id"), doc.get("updated_at"),
                   doc.get("resolved_at"), doc.get("rev", 0), doc.get("expires_at"),
                   refund_record(doc.get("refund")), doc.get("refunded_at"))


def refund_record(doc: dict | None) -> Refund | None:
    if not doc:
        return None
    return Refund(doc["id"], doc["status"], money_from_doc(doc["amount"]), doc["reason"],
                  doc["requested_at"], doc.get("attempt", 1), doc.get("reference"),
                  doc.get("message", ""), doc.get("updated_at"))


def refund_doc(refund: Refund) -> dict:
    return {"id": refund.id, "status": refund.status, "amount": money_to_doc(refund.amount),
            "reason": refund.reason, "requested_at": refund.requested_at,
            "attempt": refund.attempt, "reference": refund.reference,
            "message": refund.message, "updated_at": refund.updated_at}


def to_doc(payment: Payment) -> dict:
    doc = {"_id": payment.id, "workspace_id": payment.workspace_id,
           "invoice_id": payment.invoice_id, "invoice_code": payment.invoice_code,
           "provider": payment.provider, "provider_reference": payment.provider_reference,
           "checkout_url": payment.checkout_url, "amount": money_to_doc(payment.amount),
           "status": payment.status, "resolved": payment.resolved,
           "created_at": payment.created_at, "updated_at": payment.updated_at,
           "rev": payment.rev}
    optional = {"refund_reason": payment.refund_reason, "succeeded_at": payment.succeeded_at,
                "failed_at": payment.failed_at, "event_id": payment.event_id,
                "resolved_at": payment.resolved_at, "expires_at": payment.expires_at,
                "refund": refund_doc(payment.refund) if payment.refund else None,
                "refunded_at": payment.refunded_at}
    return {**doc, **{k: v for k, v in optional.items() if v is not None}}


async def many(db: AsyncDatabase, payment_ids: list[str]) -> dict[str, Payment]:
    """These payments by id (one find)."""
    return {d["_id"]: record(d) async for d in db.payments.find({"_id": {"$in": payment_ids}})}


async def find(db: AsyncDatabase, payment_id: str | None) -> Payment | None:
    doc = await db.payments.find_one({"_id": payment_id}) if payment_id else None
    return record(doc) if doc else None


async def change_status(db: AsyncDatabase, payment: Payment, allowed: tuple[str, ...] | str,
                        **changes) -> Payment | None:
    """The payment as held → `changes` (document field names), if its status is (one
    of) `allowed`: one revision-checked replace, or a swap from a fresh read if it changed
    meanwhile (NX-27017 stores a datetime or bool given to `$set` as a string or 1/0:
    service/mongo/revisions.py). None when its status is no longer allowed."""
    allowed = (allowed,) if isinstance(allowed, str) else tuple(allowed)
    if payment.status in allowed:
        done = await replace_at_revision(db.payments, to_doc(payment), changes)
        if done:
            return record(done)
    done = await swap(db.payments, {"_id": payment.id, "status": {"$in": list(allowed)}},
                      changes)
    return record(done) if done else None


async def mark_resolved(db: AsyncDatabase, payment: Payment, now: datetime) -> Payment:
    """`resolved: true` on the payment as held (one replace), or from a fresh read."""
    change = {"resolved": True, "resolved_at": now}
    done = await replace_at_revision(db.payments, to_doc(payment), change) or \
        await swap(db.payments, {"_id": payment.id, "status": payment.status, "resolved": False},
                   change)
    return record(done) if done else await get(db, payment.id)


async def unresolved_ids(db: AsyncDatabase, updated_before: datetime, limit: int) -> list[str]:
    """Payments a crash left `resolved: false` (re-driven by the sweep). NX-27017 compares the
    `updated_at` datetimes as strings, to the second: plenty for a cutoff a minute back."""
    stale = {"resolved": False, "updated_at": {"$lt": updated_before}}
    return [d["_id"] async for d in db.payments.find(stale, {"_id": 1}).limit(limit)]


async def unopened(db: AsyncDatabase, created_before: datetime, limit: int) -> list[Payment]:
    """Pending payments stored while their gateway was down (no link yet)."""
    query = {"status": "pending", "checkout_url": None, "created_at": {"$lt": created_before}}
    return [record(d) async for d in db.payments.find(query).limit(limit)]


async def to_poll(db: AsyncDatabase, providers: list[str], created_before: datetime,
                  polled_before: datetime, limit: int) -> list[Payment]:
    """Pending payments of these providers older than `created_before`, not asked about since
    `polled_before` (the poll for lost callbacks: service/payments/polling.py)."""
    query = {"status": "pending", "provider": {"$in": providers},
             "created_at": {"$lt": created_before},
             "$or": [{"polled_at": {"$exists": False}}, {"polled_at": {"$lt": polled_before}}]}
    return [record(d) async for d in db.payments.find(query).limit(limit)]


async def mark_polled(db: AsyncDatabase, payment: Payment, now: datetime) -> None:
    """The provider was asked about this pending payment at `now` (one replace; a payment that
    changed meanwhile is left alone: it is no longer the poll's business or will be next time)."""
    await replace_at_revision(db.payments, to_doc(payment), {"polled_at": now})


async def refunds_pending(db: AsyncDatabase, updated_before: datetime, limit: int) -> list[Payment]:
    """Payments whose refund the gateway has not finished (asked again by the sweep)."""
    query = {"status": "needs_refund", "refund.status": "pending",
             "updated_at": {"$lt": updated_before}}
    return [record(d) async for d in db.payments.find(query).limit(limit)]


async def of_workspace(svc: Services, workspace_id: str,
                       payment_id: str) -> tuple[Payment, Invoice]:
    """A payment of this workspace and its invoice (the portal's return page); another
    workspace's, or none, is 404 `not_found`."""
    found = await find(svc.db, payment_id)
    if found is None or found.workspace_id != workspace_id:
        raise NotFound("Payment not found", field="payment_id")
    return found, await invoices.get(svc.db, found.invoice_id)
