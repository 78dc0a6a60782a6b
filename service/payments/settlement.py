"""Money in, exactly once: provider callbacks, payment resolution, invoice expiry, the sweep.

A success callback, in order (a process may die after any step):
1. payment `pending|failed → succeeded` (conditional; `resolved: false`, `succeeded_at`).
   Duplicates, concurrent or not, lose this update and only re-drive steps 2-4.
2. invoice `pending → paid` if it expires after `succeeded_at` and still names this payment
   (pay later may have moved it on to a newer one; conditional, `settled: false`).
   This single update decides between "fulfil" and "refund": expiry is the same kind of update
   from `pending`, so exactly one of them wins.
3. payment `resolved: true` (or `needs_refund` when step 2 lost to an expired/failed invoice).
4. `settle_invoice`: ledger intent `topup:<id>` (idempotent by key; pays arrears first), top-up
   `pending → paid`, events; then the invoice `settled: true`.
A failure callback only marks the payment failed: the invoice stays open (pay later) until it
expires. A success of a payment the invoice no longer names is refunded (`payment_superseded`).
The sweep re-drives payments with `resolved: false` and invoices with `settled: false`; every
step is idempotent, so a re-drive racing a live request changes nothing more.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Mapping

from billing.errors import PaymentAmountMismatch, Unauthorized
from billing.payments import (FAILURE_FROM, SUCCESS_FROM, PaymentCallback, check_amount,
                              paid_in_time, refund_reason)
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.events import shapes
from service.events.emit import emit
from service.payments import payments
from service.payments.orders import settle_invoice
from service.runtime import idempotency
from service.runtime.context import Services

log = logging.getLogger("saldo.payments")
REDRIVE_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500


async def receive_callback(svc: Services, provider_name: str, raw: bytes,
                           headers: Mapping[str, str], now: datetime) -> Payment:
    """A provider's callback, exactly as it arrived. → the payment after it was applied.
    401 bad signature · 404 unknown provider or payment · 422 malformed or wrong amount."""
    payment, _ = await apply_callback(svc, provider_name, raw, headers, now)
    return payment


async def apply_callback(svc: Services, provider_name: str, raw: bytes,
                         headers: Mapping[str, str], now: datetime,
                         payment: Payment | None = None) -> tuple[Payment, Invoice | None]:
    """`receive_callback` for a caller that may hold the payment already (the sandbox's
    checkout). → (payment, its invoice when this callback's resolution read it, else None)."""
    provider = payments.provider(svc.providers, provider_name)
    if not provider.verify(raw, headers):
        raise Unauthorized("Missing or invalid payment callback signature")
    callback = provider.parse(raw)
    if payment is None or payment.id != callback.payment_id:
        payment = await payments.get(svc.db, callback.payment_id, provider.name)
    await payments.record_callback(svc.db, provider.name, callback, raw, now)
    if callback.status == "pending":
        return payment, None
    # Never trust one message: the provider's own status API says what happened (the sandbox's
    # signed callback is its whole word). Not so there (yet): nothing changes, the poll asks.
    confirmed = await provider.confirm(callback)
    if confirmed is None:
        return payment, None
    return await apply_statement(svc, payment, confirmed, now)


async def apply_statement(svc: Services, payment: Payment, statement: PaymentCallback,
                          now: datetime) -> tuple[Payment, Invoice | None]:
    """A provider's confirmed word about a payment (a confirmed callback, or the answer of the
    poll for lost callbacks: service/payments/polling.py), applied once. A statement of another
    amount or currency credits nothing (422 payment_amount_mismatch; the callback is kept)."""
    if statement.status == "pending":
        return payment, None
    try:
        check_amount(statement, payment.amount)
    except PaymentAmountMismatch:
        log.warning("payment amount mismatch: not credited", extra={"fields": {
            "payment_id": payment.id, "provider": payment.provider,
            "expected": payment.amount.to_dict(), "received": statement.amount.to_dict()}})
        raise
    payment = await _record(svc, payment, statement, now)
    return await _resolve(svc, payment, now)


async def _record(svc: Services, payment: Payment, callback: PaymentCallback,
                  now: datetime) -> Payment:
    """Step 1 on the payment as read (one replace), or from a fresh read if it changed."""
    if callback.status == "succeeded":
        change = {"status": "succeeded", "succeeded_at": now, "event_id": callback.event_id,
                  "provider_reference": callback.provider_reference}
        allowed = SUCCESS_FROM
    else:
        change = {"status": "failed", "failed_at": now, "event_id": callback.event_id}
        allowed = FAILURE_FROM
    if payment.status not in allowed:   # statuses only move on: a duplicate or a late one
        return payment
    moved = await payments.change_status(svc.db, payment, allowed, **change, resolved=False,
                                         updated_at=now)
    if moved:
        svc.metrics.payment_moved(moved.status)
    return moved or await payments.get(svc.db, payment.id)


async def resolve_payment(svc: Services, payment_id: str, now: datetime) -> Payment:
    """Apply what the payment's status means, once; safe to call any number of times."""
    payment, _ = await _resolve(svc, await payments.get(svc.db, payment_id), now)
    return payment


async def _resolve(svc: Services, payment: Payment,
                   now: datetime) -> tuple[Payment, Invoice | None]:
    if payment.resolved:
        return payment, None
    if payment.status == "succeeded":
        return await _resolve_success(svc, payment, now)
    if payment.status == "failed":
        return await _resolve_failure(svc, payment, now)
    if payment.status == "needs_refund":
        return await _resolve_refund(svc, payment, now), None
    if payment.status == "refunded":     # service/payments/refunds.py
        refund = payment.refund
        await emit(svc.db, "payment.refunded", payment.id, payment.workspace_id, shapes.payment(
            payment, refund_id=refund and refund.id, refund_reference=refund and refund.reference),
            now)
        return await payments.mark_resolved(svc.db, payment, now), None
    return payment, None


async def _claim_or_read(svc: Services, payment: Payment, now: datetime) -> Invoice:
    """Step 2: the invoice paid by this payment, or (lost) the invoice as it is."""
    claimed = await invoices.claim_paid(svc.db, payment.invoice_id, payment.id,
                                        payment.succeeded_at, now)
    if claimed:
        return claimed
    invoice = await invoices.get(svc.db, payment.invoice_id)
    if invoice.status == "pending" and not paid_in_time(invoice.expires_at,
                                                        payment.succeeded_at):
        # its expiry passed before the money arrived (compared here, exactly: see claim_paid)
        closed = await invoices.close(svc.db, invoice.id, "expired", now)
        if closed:
            return await settle_invoice(svc, closed, now)
        invoice = await invoices.get(svc.db, payment.invoice_id)
    return invoice


async def _resolve_success(svc: Services, payment: Payment,
                           now: datetime) -> tuple[Payment, Invoice]:
    invoice = await _claim_or_read(svc, payment, now)
    await emit(svc.db, "payment.succeeded", payment.id, payment.workspace_id,
               shapes.payment(payment), now)
    if invoice.status != "paid" or invoice.payment_id != payment.id:
        refund = await payments.change_status(
            svc.db, payment, "succeeded", status="needs_refund", updated_at=now,
            refund_reason=refund_reason(invoice.status,
                                        superseded=invoice.payment_id != payment.id))
        if refund:
            svc.metrics.payment_moved(refund.status)
            return await _resolve_refund(svc, refund, now), invoice
        return await payments.get(svc.db, payment.id), invoice
    payment = await payments.mark_resolved(svc.db, payment, now)
    return payment, await settle_invoice(svc, invoice, now)


async def _resolve_failure(svc: Services, payment: Payment,
                           now: datetime) -> tuple[Payment, Invoice]:
    """A failed payment leaves its invoice open: until the invoice expires the customer may pay
    it through a new link (service/payments/pay_later.py)."""
    await emit(svc.db, "payment.failed", payment.id, payment.workspace_id,
               shapes.payment(payment), now)
    payment = await payments.mark_resolved(svc.db, payment, now)
    return payment, await invoices.get(svc.db, payment.invoice_id)


async def _resolve_refund(svc: Services, payment: Payment, now: datetime) -> Payment:
    log.warning("late payment needs a refund", extra={"fields": {
        "payment_id": payment.id, "invoice_code": payment.invoice_code,
        "reason": payment.refund_reason}})
    await emit(svc.db, "payment.needs_refund", payment.id, payment.workspace_id,
               shapes.payment(payment), now)
    return await payments.mark_resolved(svc.db, payment, now)


async def expire_due(svc: Services, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Expire pending invoices past PAYMENT_EXPIRY (their orders are closed, nothing is
    fulfilled). An invoice whose payment succeeded in time is resolved instead."""
    expired = 0
    for invoice in await invoices.pending_due(svc.db, now, limit):
        payment = await payments.find(svc.db, invoice.payment_id)
        if payment and payment.status == "succeeded" and \
                paid_in_time(invoice.expires_at, payment.succeeded_at):
            await resolve_payment(svc, payment.id, now)
            continue
        closed = await invoices.close(svc.db, invoice.id, "expired", now)
        if closed:
            await settle_invoice(svc, closed, now)
            expired += 1
    return expired


async def sweep(svc: Services, *, everything: bool = False) -> dict:
    """Expire due invoices and finish what a crash left half-done. Safe at any time."""
    now = svc.clock.now()
    cutoff = now + timedelta(seconds=1) if everything else now - REDRIVE_AFTER
    expired = await expire_due(svc, now)
    redriven = 0
    for payment_id in await payments.unresolved_ids(svc.db, cutoff, SWEEP_BATCH):
        redriven += await _guard(resolve_payment(svc, payment_id, now), payment_id)
    settled = 0
    for invoice in await invoices.unsettled(svc.db, cutoff, SWEEP_BATCH):
        settled += await _guard(settle_invoice(svc, invoice, now), invoice.id)
    purged = await idempotency.purge(svc.db, now)
    return {"expired": expired, "payments_redriven": redriven, "invoices_settled": settled,
            "idempotency_keys_purged": purged}


async def _guard(work, object_id: str) -> int:
    try:
        await work
        return 1
    except Exception:
        log.exception("re-driving %s failed; the next sweep retries", object_id)
        return 0
