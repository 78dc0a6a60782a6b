"""The sandbox provider's side of the checkout: its page shows the invoice, and pressing Pay or
Fail makes the provider call Saldo back with a signed callback that goes through exactly the
same verify → parse → apply path as an external provider's (service/payments/settlement.py)."""
from __future__ import annotations

from datetime import datetime

from billing.errors import Conflict
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.payments import payments
from service.payments import settlement
from service.payments.sandbox import SandboxProvider
from service.runtime.context import Services

OUTCOMES = ("succeeded", "failed")


def _sandbox(svc: Services) -> SandboxProvider:
    provider = payments.provider(svc.providers, "sandbox")  # 404 unless the sandbox is enabled
    assert isinstance(provider, SandboxProvider)
    return provider


async def checkout(svc: Services, payment_id: str) -> tuple[Payment, Invoice]:
    """→ (payment, invoice) shown on the checkout page."""
    _sandbox(svc)
    payment = await payments.get(svc.db, payment_id, "sandbox")
    return payment, await invoices.get(svc.db, payment.invoice_id)


async def press(svc: Services, payment_id: str, outcome: str,
                now: datetime) -> tuple[Payment, Invoice]:
    """The customer pressed Pay (`succeeded`) or Fail (`failed`). → (payment, invoice) after
    Saldo processed the provider's callback."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    provider = _sandbox(svc)
    payment = await payments.get(svc.db, payment_id, "sandbox")
    raw, headers = provider.simulate(payment, outcome)
    try:
        payment, invoice = await settlement.apply_callback(svc, "sandbox", raw, headers, now,
                                                          payment)
    except Conflict:
        # The success is recorded but what it pays for could not be applied yet (the payments
        # sweep finishes it): the page says so instead of showing an error.
        payment, invoice = await payments.get(svc.db, payment_id, "sandbox"), None
        if payment.status != "succeeded":
            raise
    invoice = invoice or await invoices.get(svc.db, payment.invoice_id)
    return payment, invoice
