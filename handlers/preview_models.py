"""Request and response models of order previews (handlers/previews.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from handlers.models import MoneyOut, Request
from handlers.payment_models import TaxOut
from handlers.subscription_models import (AddonQuantityIn, PeriodOut, RemovedAddonOut,
                                          ShrinkingLimitOut)

PreviewKind = Literal["plan_change", "renewal", "addon_purchase", "addon_quantity", "addon_stop",
                      "topup"]


class PreviewIn(Request):
    """`kind`, then the fields its order endpoint takes: plan_change {plan, period, addons}
    (…/subscription/change); renewal {} (…/renew); addon_purchase {addon_id, quantity}
    (POST …/addons); addon_quantity {addon_id, quantity} (PATCH …/addons/{id}); addon_stop
    {addon_id} (DELETE …/addons/{id}?when=now); topup {balance, amount} (…/topups)."""
    kind: PreviewKind
    plan: str | None = Field(default=None, min_length=1, max_length=40)
    period: str | None = Field(default=None, min_length=1, max_length=20)
    addons: list[AddonQuantityIn] = Field(default_factory=list, max_length=50)
    addon_id: str | None = Field(default=None, min_length=1, max_length=100)
    quantity: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    balance: Literal["conversation", "broadcast"] | None = None
    amount: StrictInt | None = Field(default=None, gt=0, le=10**15,
                                     description="Top-up: whole rupiah")


class ProrationOut(BaseModel):
    basis: Literal["time", "days"] = Field(description="time: by elapsed time (add-ons); days: "
                                                       "by whole local days (plan upgrades)")
    numerator: int
    denominator: int
    start: datetime
    end: datetime


class PreviewLineOut(BaseModel):
    kind: str = Field(description="plan, addon or topup")
    description: str = Field(description="As the invoice will print it")
    addon_id: str | None = None
    units: int
    unit_price: MoneyOut
    amount: MoneyOut = Field(description="Negative: credited back")
    covers: PeriodOut | None = None
    proration: ProrationOut | None = None


class CreditAppliedOut(BaseModel):
    description: str
    amount: MoneyOut


class PreviewOut(BaseModel):
    kind: PreviewKind
    lines: list[PreviewLineOut]
    credits_applied: list[CreditAppliedOut]
    tax: TaxOut | None = Field(default=None, description="The tax of the invoice in the first "
                               "currency of `totals`, as that invoice will show it; null: not "
                               "taxed")
    taxes: list[TaxOut] = Field(default_factory=list, description="The tax of every taxed "
                                "invoice the order issues, one per currency")
    totals: list[MoneyOut] = Field(description="One per currency: lines + credits + tax added "
                                   "on tax-exclusive prices: what the invoices will ask for")
    takes_effect: Literal["when_paid", "now", "period_end"]
    effective_at: datetime | None = Field(description="null: when the invoice is paid")
    shrinking_limits: list[ShrinkingLimitOut]
    removed_addons: list[RemovedAddonOut]
