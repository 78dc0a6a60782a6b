"""Request and response models of top-ups, invoices and payments."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from handlers.models import MoneyOut, Request


class TopupIn(Request):
    balance: Literal["conversation", "broadcast"]
    amount: StrictInt = Field(gt=0, description="Whole rupiah, e.g. 50000 (an integer)")


class ListQuery(Request):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class InvoicesQuery(ListQuery):
    type: Literal["subscription", "renewal", "plan_change", "addon", "topup"] | None = None
    status: Literal["pending", "paid", "expired", "cancelled", "failed"] | None = None


class PaymentsQuery(ListQuery):
    state: Literal["pending", "succeeded", "failed", "needs_refund", "refunded"] | None = None


class TopupOut(BaseModel):
    id: str
    balance: str
    amount: MoneyOut
    status: str
    invoice_code: str | None
    created_at: datetime
    paid_at: datetime | None


class InvoiceLineOut(BaseModel):
    description: str
    quantity: int
    unit_price: MoneyOut
    amount: MoneyOut


class BuyerOut(BaseModel):
    """As issued: from the workspace's billing information when it was filled by then."""
    workspace_id: str
    name: str
    address: str = ""
    tax_id: str = Field(default="", description="NPWP, digits only")
    email: str = ""
    phone: str = ""


class SellerOut(BaseModel):
    name: str
    address: str
    tax_id: str


class PaymentOut(BaseModel):
    id: str
    provider: str
    status: str
    checkout_url: str | None
    expires_at: datetime | None = Field(default=None, description="when the link lapses")


class TaxOut(BaseModel):
    """PPN of an invoice (absent when not taxed): `amount` of the invoice is `total`."""
    subtotal: MoneyOut
    tax_base: MoneyOut
    tax_rate: str = Field(description='e.g. "PPN 11%" or "PPN 12% × 11/12"')
    tax_amount: MoneyOut
    total: MoneyOut
    prices_include_tax: bool


class InvoiceOut(BaseModel):
    code: str | None
    type: str
    requested_at: datetime
    package: str
    lines: list[InvoiceLineOut]
    amount: MoneyOut
    status: str
    paid_at: datetime | None
    expires_at: datetime
    buyer: BuyerOut
    seller: SellerOut
    payable: bool = Field(default=False, description="can still be paid (POST …/pay)")
    payment: PaymentOut | None = Field(
        default=None, description="the invoice's current payment (its link while pending)")
    tax: TaxOut | None = None


class InvoicePayOut(BaseModel):
    invoice: InvoiceOut
    payment: PaymentOut


class TopupCreatedOut(BaseModel):
    topup: TopupOut
    invoice: InvoiceOut
    payment: PaymentOut


class TopupLimitOut(BaseModel):
    minimum: MoneyOut
    maximum: MoneyOut


class TopupLimitsOut(BaseModel):
    limits: dict[str, TopupLimitOut] = Field(description="per balance (conversation, broadcast)")


class TopupsOut(BaseModel):
    topups: list[TopupOut]
    next_cursor: str | None


class InvoicesOut(BaseModel):
    invoices: list[InvoiceOut]
    next_cursor: str | None


class RefundOut(BaseModel):
    """A refund asked through the payment's gateway (POST /v1/admin/payments/{id}/refund)."""
    id: str
    status: Literal["pending", "succeeded", "failed"]
    amount: MoneyOut
    reason: str
    reference: str | None = Field(default=None, description="the gateway's refund id")
    message: str = Field(default="", description="the gateway's word when it refused")
    requested_at: datetime
    attempt: int


class PaymentAdminOut(BaseModel):
    id: str
    workspace_id: str
    invoice_code: str | None
    provider: str
    provider_reference: str | None
    amount: MoneyOut
    status: str
    refund_reason: str | None = None
    created_at: datetime
    succeeded_at: datetime | None = None
    failed_at: datetime | None = None
    refund: RefundOut | None = None
    refunded_at: datetime | None = None


class PaymentsOut(BaseModel):
    payments: list[PaymentAdminOut]
    next_cursor: str | None


class CallbackOut(BaseModel):
    ok: bool
    payment: PaymentOut
