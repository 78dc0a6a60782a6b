"""Event payloads: the object as the API shows it (the fields of the handlers' response models,
handlers/*_models.py), built here from the same records, because service code never imports
handlers. Money is the API's `{amount, currency, formatted}` (formatted in Indonesian, the API's
default language: service/runtime/formatting.py, which the handlers use too); times are ISO 8601
in UTC as the API writes them. Everything is JSON-ready: stored as is in the event's `data`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from billing.addon_catalog import effective_quantity
from billing.addons import normal_visibility
from billing.invoices import payable
from billing.money import Money
from billing.wallet import Buckets
from service.invoices.records import Invoice, Payment
from service.runtime.formatting import money_out

LANG = "id"


def money(amount: Money) -> dict:
    return money_out(amount, LANG)


def when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def invoice(inv: Invoice) -> dict:
    """GET …/invoices/{code} (InvoiceOut), plus its id, workspace and order."""
    tax = inv.tax
    return {"id": inv.id, "workspace_id": inv.workspace_id, "code": inv.code, "type": inv.type,
            "requested_at": when(inv.requested_at), "status": inv.status,
            "lines": [{"description": line.description.render(LANG), "quantity": line.quantity,
                       "unit_price": money(line.unit_price), "amount": money(line.amount)}
                      for line in inv.lines],
            "amount": money(inv.amount), "paid_at": when(inv.paid_at),
            "expires_at": when(inv.expires_at), "payment_id": inv.payment_id,
            "payable": payable(inv.status, inv.expires_at, inv.requested_at),
            "buyer": {"workspace_id": inv.buyer.workspace_id, "name": inv.buyer.name,
                      "tax_id": inv.buyer.tax_id, "email": inv.buyer.email},
            "tax": None if tax is None else {
                "subtotal": money(tax.subtotal), "tax_base": money(tax.tax_base),
                "tax_rate": tax.rate_label(), "tax_amount": money(tax.tax),
                "total": money(tax.total), "prices_include_tax": tax.prices_include_tax},
            "order": {"kind": inv.order.kind, **inv.order.reference}}


def payment(p: Payment, **extra) -> dict:
    """GET /v1/admin/payments (PaymentAdminOut)."""
    return {"id": p.id, "workspace_id": p.workspace_id, "invoice_code": p.invoice_code,
            "provider": p.provider, "provider_reference": p.provider_reference,
            "amount": money(p.amount), "status": p.status, "refund_reason": p.refund_reason,
            "created_at": when(p.created_at), "succeeded_at": when(p.succeeded_at),
            "failed_at": when(p.failed_at), **extra}


def topup(t) -> dict:
    """GET …/topups (TopupOut); `t`: service/topups/repository.Topup."""
    return {"id": t.id, "workspace_id": t.workspace_id, "balance": t.balance,
            "amount": money(t.amount), "status": t.status, "invoice_code": t.invoice_code,
            "created_at": when(t.created_at), "paid_at": when(t.paid_at)}


def balance(b: Buckets) -> dict:
    """One balance of GET …/wallet (BalanceOut, without its rate)."""
    return {"granted": money(b.granted), "purchased": money(b.purchased),
            "total": money(b.total), "arrears": money(b.arrears), "available": money(b.net)}


def limits(effective: Mapping[str, int]) -> dict:
    """Effective limits, as `GET …/subscription` counts them (-1: unlimited)."""
    return dict(sorted(effective.items()))


def addon(a) -> dict:
    """GET /v1/admin/addons/{id} (AddonOut); `a`: service/addons/records.Addon."""
    fields = a.contract()
    fields["allow_multiple"], fields["max_quantity"] = effective_quantity(fields)
    fields["visibility"] = normal_visibility(a.visibility)
    return {"id": a.id, **fields, "created_at": when(a.created_at),
            "updated_at": when(a.updated_at)}
