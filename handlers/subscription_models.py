"""Request and response models of plans, the billing policy and subscriptions."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from handlers.models import MoneyOut, Request, WorkspaceCreated
from handlers.payment_models import InvoiceOut, PaymentOut


PeriodName = Literal["monthly", "quarterly", "yearly"]
PLAN_ID = r"^[a-z][a-z0-9_-]{1,39}$"


class RupiahIn(Request):
    amount: StrictInt = Field(ge=0, le=1_000_000_000_000, description="Whole rupiah")
    currency: Literal["IDR"] = "IDR"


class LimitsIn(Request):
    users: StrictInt = Field(ge=-1, le=10_000_000, description="-1 = unlimited")
    contacts: StrictInt = Field(ge=-1, le=1_000_000_000)
    broadcast_quota: StrictInt = Field(ge=-1, le=1_000_000_000,
                                       description="Broadcast messages per period")


class PlanIn(Request):
    name: str = Field(min_length=1, max_length=100)
    rank: StrictInt = Field(ge=0, le=1000, description="Higher rank = upgrade")
    prices: dict[PeriodName, RupiahIn] = Field(min_length=1)
    conversation_grant: RupiahIn
    grant_rolls_over: bool = False
    limits: LimitsIn
    rates: dict[str, RupiahIn] = Field(default_factory=dict, max_length=50,
                                       description="Price per Meta pricing category")


class PlanOut(BaseModel):
    id: str
    name: str
    rank: int
    prices: dict[str, MoneyOut]
    conversation_grant: MoneyOut
    grant_rolls_over: bool
    limits: dict[str, int]
    rates: dict[str, MoneyOut]


class PlansOut(BaseModel):
    plans: list[PlanOut]


class PolicyRuleIn(Request):
    timing: Literal["end_of_term", "immediate"]
    from_plan: str = Field(default="*", max_length=40)
    to_plan: str = Field(default="*", max_length=40)
    from_period: Literal["*", "monthly", "quarterly", "yearly"] = "*"
    to_period: Literal["*", "monthly", "quarterly", "yearly"] = "*"
    direction: Literal["*", "upgrade", "downgrade", "period_change"] = "*"


NO_MATCH = Field(default="end_of_term", description="The timing when no rule matches: always "
                 "end_of_term (a last catch-all rule changes it); accepted back by PUT")


class PolicyIn(Request):
    rules: list[PolicyRuleIn] = Field(max_length=100)
    default: Literal["end_of_term"] = NO_MATCH


class PolicyOut(BaseModel):
    rules: list[PolicyRuleIn]
    default: Literal["end_of_term"] = NO_MATCH


class AddonQuantityIn(Request):
    addon_id: str = Field(min_length=1, max_length=100)
    quantity: StrictInt = Field(ge=1, le=10_000)


class SubscriptionChangeIn(Request):
    plan: str = Field(min_length=1, max_length=40)
    period: str = Field(min_length=1, max_length=20)
    addons: list[AddonQuantityIn] = Field(default_factory=list, max_length=50)


class UsageReportIn(Request):
    users: StrictInt = Field(ge=0, le=10_000_000)
    contacts: StrictInt = Field(ge=0, le=1_000_000_000)


class PeriodOut(BaseModel):
    start: datetime
    end: datetime


class ScheduledChangeOut(BaseModel):
    kind: str
    plan: str
    period: str
    timing: str
    effective_at: datetime | None
    invoice_code: str | None
    requested_at: datetime


class LimitUsageOut(BaseModel):
    used: int
    maximum: int = Field(description="Effective maximum: the plan's with the add-ons' "
                                     "increments and sets applied; -1 = unlimited")
    exceeded: bool


class SubscriptionAddonOut(BaseModel):
    addon_id: str
    name: str | None
    display_name: str | None
    type: str | None
    billing: str | None
    quantity: int
    next_quantity: int | None = Field(description="From the next period (null: the same; "
                                                  "0: it stops at the period end)")
    stops_at_period_end: bool
    added_at: datetime | None
    price_next_period: MoneyOut | None = Field(
        default=None, description="GET …/subscription: its line in the next renewal (at its "
                                  "next quantity, before tax); null: not renewed")


class ComplimentaryOut(BaseModel):
    plan: str
    period: PeriodOut = Field(description="The period given without an invoice")
    granted_by: str = Field(description="admin | reseller")
    reseller_id: str | None = None


class NextRenewalOut(BaseModel):
    date: datetime = Field(description="When the next period starts (the renewal's invoice "
                                       "is due by then)")
    amount: MoneyOut = Field(description="What its invoice asks for, tax included (in the "
                                         "plan's currency; see `totals`)")
    totals: list[MoneyOut] = Field(description="One per currency, as POST …/previews "
                                               "{kind: renewal} shows them")


class AddonPurchaseOut(BaseModel):
    addon_id: str
    display_name: str
    quantity: int
    amount: MoneyOut = Field(description="Its line on the invoice, before tax")
    invoice_code: str | None
    purchased_at: datetime | None


class SubscriptionOut(BaseModel):
    workspace_id: str
    plan: str
    plan_name: str
    period: str
    status: str
    current_period: PeriodOut
    scheduled_change: ScheduledChangeOut | None
    next_period_paid: bool
    addons: list[SubscriptionAddonOut] = Field(default_factory=list)
    entitlements: list[str] = Field(default_factory=list,
                                    description="Features granted by the add-ons held")
    usage: dict[str, LimitUsageOut]
    plan_limits: dict[str, int] = Field(default_factory=dict,
                                        description="The plan's own limits, before add-ons")
    complimentary: ComplimentaryOut | None = Field(
        default=None, description="Set when the workspace was created on a paid plan as a "
                                  "gift: its first period had no invoice")
    next_renewal: NextRenewalOut | None = Field(
        default=None, description="GET …/subscription: date and amount of the next renewal "
                                  "(null: the next period costs nothing, or in order answers)")
    addon_history: list[AddonPurchaseOut] = Field(
        default_factory=list, description="GET …/subscription: one-time add-ons bought and paid, "
                                          "newest first")


class QuoteLineOut(BaseModel):
    kind: str
    description: str
    quantity: int
    unit_price: MoneyOut
    amount: MoneyOut
    addon_id: str | None = None
    quantity_change: int | None = Field(default=None, description="Add-on lines: +/- units")


class RemovedAddonOut(BaseModel):
    addon_id: str
    quantity: int
    reason: str = Field(description="not_applicable (the plan), period_not_available (the "
                                    "period unit) or not_in_catalog")


class ShrinkingLimitOut(BaseModel):
    limit: str
    used: int
    current_maximum: int = Field(description="Effective now: the plan's with the add-ons held")
    new_maximum: int = Field(description="Effective after the change: the new plan's with the "
                                         "add-ons that stay; -1 = unlimited")
    exceeded: bool


class QuoteOut(BaseModel):
    plan: str
    period: str
    direction: str
    timing: str
    invoice_type: str
    lines: list[QuoteLineOut]
    total: MoneyOut = Field(description="In the plan's currency (see `totals`)")
    totals: list[MoneyOut] = Field(description="One total per currency of the lines, the "
                                               "plan's first")
    covers: PeriodOut
    effective_at: datetime | None
    shrinking_limits: list[ShrinkingLimitOut]
    removed_addons: list[RemovedAddonOut] = Field(
        default_factory=list, description="Held add-ons the new plan does not allow: removed "
                                          "at the switch")


class PlacedInvoiceOut(BaseModel):
    invoice: InvoiceOut
    payment: PaymentOut | None


class SubscriptionOrderOut(BaseModel):
    subscription: SubscriptionOut
    quote: QuoteOut | None = None
    invoice: InvoiceOut | None = Field(default=None, description="The plan's invoice")
    payment: PaymentOut | None = None
    invoices: list[PlacedInvoiceOut] = Field(
        default_factory=list, description="Every invoice of the order with its payment: the "
        "plan's, then one per other currency of its add-ons")


class WorkspaceCreatedOut(WorkspaceCreated):
    subscription: SubscriptionOut
    invoice: InvoiceOut | None = Field(default=None, description="On a paid plan (not "
                                       "complimentary): the first period's invoice; the plan "
                                       "starts when it is paid")
    payment: PaymentOut | None = None
