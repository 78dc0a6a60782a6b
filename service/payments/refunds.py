"""Refund a payment that succeeded too late (`needs_refund`), through its own provider's refund
API (the sandbox simulates one), once.

    needs_refund ──refund asked──▶ refund pending ──gateway: done──▶ refunded (payment.refunded)
                                        │   └──gateway: pending──▶ asked again by the sweep
                                        └──gateway: refused──▶ refund failed (asking again
                                                              makes a new attempt)

Idempotent: the refund is recorded on the payment (`refund`, one revision-checked write)
before the gateway is asked, under an id the gateway dedupes by (Xendit's Idempotency-key and
`reference_id`, Midtrans' `refund_key`); a retry, a concurrent request or the sweep asks again
under the same id and gets the same refund. A refunded payment answers as it is. A process
that dies after the status change but before the event is finished by the sweep's re-drive
(`resolved: false`, service/payments/settlement.py).
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from billing.errors import GatewayUnavailable, PaymentNotRefundable
from billing.payments import RefundOutcome, RefundRequest
from service.invoices.records import Payment, Refund
from service.payments import payments, settlement
from service.runtime.context import Services

log = logging.getLogger("saldo.payments")
RECHECK_AFTER = timedelta(minutes=1)
BATCH = 100


async def refund_payment(svc: Services, payment_id: str, now: datetime) -> Payment:
    """→ the payment with its refund (`refund.status` pending | succeeded | failed; `status`
    refunded once done). 404 unknown payment or provider not enabled · 409
    payment_not_refundable · 503 payment_gateway_unavailable (the refund stays pending)."""
    payment = await payments.get(svc.db, payment_id)
    if payment.status == "refunded":
        return payment if payment.resolved else \
            await settlement.resolve_payment(svc, payment.id, now)
    if payment.status != "needs_refund":
        raise PaymentNotRefundable(f"Payment {payment.id} is {payment.status}; only a payment "
                                   "that needs a refund can be refunded", field="id",
                                   details={"status": payment.status})
    provider = payments.provider(svc.providers, payment.provider)
    if payment.refund is None or payment.refund.status == "failed":
        payment = await _ask(svc, payment, now)
    if payment.status != "needs_refund" or payment.refund is None:   # a concurrent one finished
        return payment
    refund = payment.refund
    outcome = await provider.refund(RefundRequest(
        refund.id, payment.id, payment.provider_reference, refund.amount, refund.reason,
        refund.reference))
    return await _apply(svc, payment, outcome, now)


async def _ask(svc: Services, payment: Payment, now: datetime) -> Payment:
    """Record the refund (a new attempt after a failed one) before asking the gateway; of
    concurrent requests one records it and the others use that one."""
    attempt = payment.refund.attempt + 1 if payment.refund else 1
    refund = Refund(f"rfd_{payment.id}_{attempt}", "pending", payment.amount,
                    payment.refund_reason or "invoice_expired", now, attempt, updated_at=now)
    done = await payments.change_status(svc.db, payment, "needs_refund",
                                        refund=payments.refund_doc(refund), updated_at=now)
    fresh = done or await payments.get(svc.db, payment.id)
    if fresh.status == "needs_refund" and fresh.refund and fresh.refund.status == "failed" \
            and fresh.refund.attempt < attempt:
        return await _ask(svc, fresh, now)       # lost to an unrelated write: once more
    return fresh


async def _apply(svc: Services, payment: Payment, outcome: RefundOutcome,
                 now: datetime) -> Payment:
    refund = dataclasses.replace(payment.refund, status=outcome.status,
                                 reference=outcome.reference or payment.refund.reference,
                                 message=outcome.message[:500], updated_at=now)
    changes: dict = {"refund": payments.refund_doc(refund), "updated_at": now}
    if outcome.status == "succeeded":
        changes.update(status="refunded", refunded_at=now, resolved=False)
    else:
        log.warning("refund not done", extra={"fields": {
            "payment_id": payment.id, "provider": payment.provider,
            "refund_status": outcome.status, "message": outcome.message[:200]}})
    done = await payments.change_status(svc.db, payment, "needs_refund", **changes)
    if done is None:
        return await payments.get(svc.db, payment.id)
    if done.status == "refunded":      # payment.refunded, then resolved
        return await settlement.resolve_payment(svc, done.id, now)
    return done


async def recheck_pending(svc: Services, now: datetime) -> int:
    """The sweep: ask again about refunds the gateway had not finished (or could not be asked
    about). → how many are done now."""
    done = 0
    down: set[str] = set()
    for payment in await payments.refunds_pending(svc.db, now - RECHECK_AFTER, BATCH):
        if payment.provider in down or payment.provider not in svc.providers:
            continue
        try:
            after = await refund_payment(svc, payment.id, now)
        except GatewayUnavailable:
            down.add(payment.provider)
            continue
        done += after.status == "refunded"
    return done
