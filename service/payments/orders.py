"""Orders are fulfilled through their invoice, whatever they are: an invoice carries
`order: {kind, …}` (`Invoice.order`, an `OrderRef`) and its order kind (`Services.order_kinds`,
the literal map built in service/runtime/bootstrap.py) applies what each invoice status means.

`settle_invoice` is the one place that applies an invoice's current status, idempotently:
  any status → the invoice has its code, `invoice.created` is emitted, the order is recorded;
  paid       → `invoice.paid`, the order is fulfilled (top-up: the wallet is credited);
  expired | failed | cancelled → `invoice.<status>`, the order is closed.
Then `settled` is set (only if the status is still the one applied), in the same replace that
writes a new invoice's code: so an invoice with a code has had its `invoice.created` event and
its order opened, and a later settlement (paid, expired…) skips both. A crash anywhere leaves
`settled: false` for the sweep; running it twice, or concurrently, changes nothing more.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from service.credit import credit
from service.invoices import invoices
from service.invoices.numbering import code_of
from service.invoices.records import Invoice
from service.events import shapes
from service.events.emit import emit
from service.runtime.context import Services


class OrderKind(Protocol):
    async def open(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """Record the order (idempotent); the invoice already has its code."""

    async def fulfil(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """Deliver what was bought, exactly once however often it is called."""

    async def close(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """The invoice expired, failed or was cancelled: the order will not be fulfilled."""


async def settle_invoice(svc: Services, invoice: Invoice, now: datetime) -> Invoice:
    """Apply the invoice's status (see the module doc); → the invoice, settled."""
    if invoice.settled:
        return invoice
    kind = svc.order_kinds.get(invoice.order.kind)
    if kind is None:
        raise LookupError(f"no order kind {invoice.order.kind!r} is registered")
    code, number = await code_of(svc.db, invoice)
    numbered = replace(invoice, code=code, number=number)
    # A code is written only once the invoice was opened (below); a pending invoice with a code
    # and `settled: false` is one an earlier version numbered before opening: open it again.
    if not invoice.code or invoice.status == "pending":
        await emit(svc.db, "invoice.created", invoice.id, invoice.workspace_id,
                   shapes.invoice(replace(numbered, status="pending", paid_at=None)), now)
        await kind.open(svc, numbered, now)
    if invoice.status != "pending":
        await emit(svc.db, f"invoice.{invoice.status}", invoice.id, invoice.workspace_id,
                   shapes.invoice(numbered), now)
        if invoice.status == "paid":
            await kind.fulfil(svc, numbered, now)
        else:
            await kind.close(svc, numbered, now)
            await credit.give_back(svc, numbered, now)      # account credit it used, back
    return await invoices.mark_settled(svc.db, invoice, code, number)


async def settle_if_paid(svc: Services, invoice_id: str, now: datetime) -> bool:
    """An invoice that could not be cancelled because it was paid meanwhile (its fulfilment
    not run yet): settle it now, as the sweep would, so that what is decided next sees it."""
    invoice = await invoices.find(svc.db, invoice_id, status="paid")
    if invoice:
        await settle_invoice(svc, invoice, now)
    return invoice is not None
