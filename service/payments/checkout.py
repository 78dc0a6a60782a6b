"""Placing an order: its invoice (numbered at once) and a payment to pay it with.

Every id derives from one `seed` (the Idempotency-Key record's, or a fresh one), and every step
is idempotent by those ids, so a retry of a request that died half-way resumes where it
stopped instead of ordering twice. Reused by every kind of order (top-ups now; subscriptions
and add-ons later).
"""
from __future__ import annotations

import secrets
from datetime import datetime

from billing.invoices import Order
from service.invoices import invoices
from service.payments import payments
from service.payments.orders import settle_invoice
from service.runtime.context import Services
from service.workspaces.records import Workspace


def new_seed(now: datetime) -> str:
    """Time-ordered (milliseconds first) and unguessable: ids sort newest-last by `_id`."""
    return f"{int(now.timestamp() * 1000):013d}{secrets.token_hex(8)}"


async def place_order(svc: Services, workspace: Workspace, order: Order,
                      seed: str) -> tuple[dict, dict]:
    """→ (invoice, payment). The invoice is pending with its code; the payment has its
    provider's checkout URL."""
    payments.configured_provider(svc.settings)   # no invoice that nobody could pay
    now = svc.clock.now()
    doc = invoices.invoice_doc(f"inv_{seed}", workspace, order, svc.settings, now)
    invoice = await invoices.insert_invoice(svc.db, doc)
    invoice = await settle_invoice(svc, invoice)
    payment = await payments.open_payment(svc, f"pay_{seed}", invoice, now)
    return await invoices.get(svc.db, invoice["_id"]), payment
