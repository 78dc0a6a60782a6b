"""Placing an order: its invoice (numbered at once) and a payment to pay it with.

Every id derives from one `seed` (the Idempotency-Key record's, or a fresh one), and every step
is idempotent by those ids, so a retry of a request that died half-way resumes where it
stopped instead of ordering twice. Reused by every kind of order (top-ups now; subscriptions
and add-ons later).
"""
from __future__ import annotations

from datetime import datetime

from billing.invoices import Order
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.invoices.taxes import order_tax
from service.payments import payments
from service.payments.orders import settle_invoice
from service.runtime import ids
from service.runtime.context import Services
from service.workspaces.records import Workspace


async def place_order(svc: Services, workspace: Workspace, order: Order, seed: str,
                      now: datetime) -> tuple[Invoice, Payment]:
    """→ (invoice, payment). The invoice is pending with its code; the payment has its
    provider's checkout URL. Tax (PPN) is applied here, for every kind of order, by the
    schedule in force at `now` (service/invoices/taxes.py): the invoice's `amount`, and so the
    payment's, is the total with tax."""
    provider = payments.configured_provider(svc.settings, svc.providers)   # no invoice
    taxed = await order_tax(svc, order, now)
    invoice = await invoices.insert_invoice(svc.db, ids.invoice_id(seed), workspace, order,
                                            svc.settings, now, ids.payment_id(seed), taxed)
    if invoice.payment_id is None:
        invoice = await invoices.attach_payment(svc.db, invoice, ids.payment_id(seed))
    invoice = await settle_invoice(svc, invoice, now)
    payment = await payments.open_payment(svc.db, provider, invoice, now)
    return invoice, payment
