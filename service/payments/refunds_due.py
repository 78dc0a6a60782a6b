"""Payments that need a refund (money received after their invoice expired, or for an invoice
another payment had taken over), each with its invoice: the agency panel's Operations screen,
over the same list as `GET /v1/admin/payments?state=needs_refund` (admin only)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from billing.errors import NotFound
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.payments.payments import list_payments
from service.runtime.context import Services
from service.workspaces.workspaces import Principal


@dataclass(frozen=True)
class RefundDue:
    payment: Payment
    invoice: Invoice | None          # None: its invoice is gone (never expected)


async def refunds_due(svc: Services, who: Principal, limit: int,
                      cursor: str | None) -> tuple[list[RefundDue], str | None]:
    if who.role != "admin":
        raise NotFound("Not found")
    found, next_cursor = await list_payments(svc, status="needs_refund", limit=limit,
                                             cursor=cursor)
    return [RefundDue(p, i) for p, i in zip(found, await asyncio.gather(
        *(_invoice(svc, p.invoice_id) for p in found)))], next_cursor


async def _invoice(svc: Services, invoice_id: str) -> Invoice | None:
    try:
        return await invoices.get(svc.db, invoice_id)
    except NotFound:
        return None
