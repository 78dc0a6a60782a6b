"""Pay later: a live payment link for an invoice that is still open.

`pay_invoice` hands out the invoice's current payment while its link is live (pending, not
lapsed). When that payment failed or lapsed, the invoice moves on to ONE new payment: the switch
is a conditional write on the invoice's `payment_id` (service/invoices/invoices.switch_payment),
so of concurrent clicks one wins and the others read the invoice again and hand out the winner's
payment (opening it is idempotent by its id, whoever gets there first). From then on only the
new payment can pay the invoice; a late success of the old one is refunded
(service/payments/settlement.py, `payment_superseded`). An invoice that is paid, expired,
failed or cancelled (or past its deadline) is not payable: 409 `invoice_not_payable`.
"""
from __future__ import annotations

from datetime import datetime

from billing.errors import GatewayUnavailable, InvoiceNotPayable
from billing.invoices import payable
from billing.payments import link_live
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.mongo.revisions import ATTEMPTS, Contended
from service.payments import payments, settlement
from service.runtime import ids
from service.runtime.context import Services
from service.workspaces.records import Workspace


def _refuse_unless_payable(invoice: Invoice, now: datetime) -> None:
    if not payable(invoice.status, invoice.expires_at, now):
        status = "expired" if invoice.status == "pending" else invoice.status
        raise InvoiceNotPayable(f"Invoice {invoice.code} is {status}; it cannot be paid",
                                field="code", details={"status": status})


async def pay_invoice(svc: Services, workspace: Workspace, code: str, seed: str,
                      now: datetime) -> tuple[Invoice, Payment]:
    """→ (invoice, a payment whose link is live). Idempotent: asked again, the same payment."""
    invoice = await invoices.by_code(svc, workspace.id, code)
    applied: set[str] = set()
    for _ in range(ATTEMPTS):
        _refuse_unless_payable(invoice, now)
        current = await payments.find(svc.db, invoice.payment_id)
        if current is not None and current.status == "succeeded" and current.id not in applied:
            # money arrived for it (not applied yet): apply it, then decide on what it did
            applied.add(current.id)
            await settlement.resolve_payment(svc, current.id, now)
            invoice = await invoices.get(svc.db, invoice.id)
            continue
        if current is not None and link_live(current.status, current.expires_at, now):
            if current.checkout_url is None:  # stored while its gateway was down: open it now
                current = await payments.open_payment(
                    svc.db, payments.provider(svc.providers, current.provider), invoice, now)
            return invoice, _linked(current)
        provider = payments.configured_provider(svc.settings, svc.providers)
        if current is None and invoice.payment_id:
            # named but not opened yet: the process died while the order was placed, or
            # another click switched the invoice to it a moment ago (opening is idempotent)
            return invoice, _linked(await payments.open_payment(svc.db, provider, invoice, now))
        switched = await invoices.switch_payment(svc.db, invoice, ids.payment_id(seed), now)
        if switched is not None:
            return switched, _linked(await payments.open_payment(svc.db, provider, switched,
                                                                 now))
        invoice = await invoices.get(svc.db, invoice.id)   # another click won: use its payment
    raise Contended(f"invoice {invoice.id!r} kept changing")


def _linked(payment: Payment) -> Payment:
    """A payment whose gateway is still down has no link to hand out: 503, retry shortly (the
    payment is kept; the next click or the payments sweep opens it)."""
    if payment.checkout_url is None and payment.status == "pending":
        raise GatewayUnavailable(f"The payment gateway {payment.provider} is unavailable; "
                                 "retry shortly")
    return payment


async def payments_of(svc: Services, found: list[Invoice]) -> dict[str, Payment]:
    """The current payment of each of these invoices, by payment id (one read)."""
    return await payments.many(svc.db, [i.payment_id for i in found if i.payment_id])
