"""Placing an order: its invoice (numbered at once) and a payment to pay it with.

Every id derives from one `seed` (the Idempotency-Key record's, or a fresh one), and every step
is idempotent by those ids, so a retry of a request that died half-way resumes where it
stopped instead of ordering twice. Reused by every kind of order (top-ups now; subscriptions
and add-ons later).
"""
from __future__ import annotations

from datetime import datetime

from billing.account_credit import credit_used
from billing.errors import PaymentsUnavailable
from billing.invoices import Order
from service.credit import credit
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.invoices.taxes import OrderTax, order_tax
from service.payments import payments
from service.payments.orders import settle_invoice
from service.runtime import ids
from service.runtime.context import Services
from service.workspaces.records import Workspace


async def place_order(svc: Services, workspace: Workspace, order: Order, seed: str,
                      now: datetime, *, fulfil_now: bool = True) -> tuple[Invoice, Payment]:
    """→ (invoice, payment). The invoice is pending with its code; the payment has its
    provider's checkout URL. Tax (PPN) is applied here, for every kind of order, by the
    schedule in force at `now` (service/invoices/taxes.py): the invoice's `amount`, and so the
    payment's, is the total with tax. Account credit is then spent on that total (a "Credit
    applied" line, never taxed); when it covers it all, the invoice is paid, and its order
    fulfilled unless `fulfil_now` is false (the caller first records what the order waits for,
    then calls `settle_invoice`; else the sweep does)."""
    taxed = await order_tax(svc, order, now)     # before credit: what the credit line pays
    # -- account credit (issue 11 item 3): spent first; an invoice it covers is paid at once
    try:
        provider = payments.configured_provider(svc.settings, svc.providers)   # no invoice
    except PaymentsUnavailable:             # only credit covering it all can pay this order
        covered, taxed = await _spend_credit(svc, workspace, order, taxed, seed, now,
                                             whole_only=True)
        if not (taxed.due(covered).is_zero() and credit_used(covered.lines)):
            raise
        return await _paid_by_credit(svc, workspace, covered, taxed, seed, now, fulfil_now)
    order, taxed = await _spend_credit(svc, workspace, order, taxed, seed, now)
    if taxed.due(order).is_zero() and credit_used(order.lines):
        return await _paid_by_credit(svc, workspace, order, taxed, seed, now, fulfil_now)
    # -- end of account credit
    invoice = await invoices.insert_invoice(svc.db, ids.invoice_id(seed), workspace, order,
                                            svc.settings, now, ids.payment_id(seed), taxed)
    if invoice.payment_id is None:
        invoice = await invoices.attach_payment(svc.db, invoice, ids.payment_id(seed))
    invoice = await settle_invoice(svc, invoice, now)
    payment = await payments.open_payment(svc.db, provider, invoice, now)
    return invoice, payment


async def _spend_credit(svc: Services, workspace: Workspace, order: Order, taxed: OrderTax,
                        seed: str, now: datetime, *,
                        whole_only: bool = False) -> tuple[Order, OrderTax]:
    """The order with the credit it takes of its amount due, and its tax (unchanged by the
    credit line, which no rate taxes)."""
    spent = await credit.spend(svc, workspace.id, ids.invoice_id(seed), order, now,
                               whole_only=whole_only, due=taxed.due(order))
    return spent, (taxed if spent is order else taxed.of(spent))


async def _paid_by_credit(svc: Services, workspace: Workspace, order: Order, taxed: OrderTax,
                          seed: str, now: datetime, fulfil_now: bool) -> tuple[Invoice, Payment]:
    """An invoice account credit covers in full: paid at once, no payment page, no provider;
    opened (code, order recorded), then paid, its order fulfilled now if `fulfil_now`.
    → (invoice, a `credit` payment that is not stored)."""
    invoice = await invoices.insert_invoice(svc.db, ids.invoice_id(seed), workspace, order,
                                            svc.settings, now, None, taxed)
    if invoice.status == "pending":
        await settle_invoice(svc, invoice, now)
        invoice = await invoices.paid_by_credit(svc.db, invoice, now) or \
            await invoices.get(svc.db, invoice.id)
    if fulfil_now:
        invoice = await settle_invoice(svc, invoice, now)
    return invoice, Payment(ids.payment_id(seed), workspace.id, invoice.id, invoice.code,
                            "credit", None, None, invoice.amount, "succeeded", None, now, now,
                            None)
