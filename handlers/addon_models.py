"""Request and response models of add-ons (the agency's catalog, buying and managing add-ons,
entitlement checks) and resellers. Requests forbid unknown fields; the cross-field rules of an
add-on are billing/addon_catalog.py's."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import (BaseModel, Field, StrictBool, StrictInt, StrictStr, StringConstraints,
                      field_validator)

from billing.money import BILLED_DIGITS
from handlers.models import MoneyOut, Request
from handlers.payment_models import InvoiceOut, PaymentOut
from handlers.subscription_models import SubscriptionOut

Currency = Literal[tuple(BILLED_DIGITS)]       # type: ignore[valid-type]  (billing/money.py's)
AddonType = Literal["users", "contacts", "conversation_credit", "broadcast_credit", "feature"]
MAX_INT = 1_000_000_000_000
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
AddonId = Annotated[str, StringConstraints(pattern=r"^ad_[0-9a-z]{1,64}$")]
ResellerId = Annotated[str, StringConstraints(pattern=r"^rs_[0-9a-z]{1,64}$")]
PlanId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
MetaKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MetaValue = Union[StrictBool, Annotated[int, Field(strict=True, ge=-MAX_INT, le=MAX_INT)],
                  Annotated[StrictStr, StringConstraints(max_length=500)], None]


class BracketIn(Request):
    from_: StrictInt = Field(alias="from", ge=1, le=MAX_INT)
    to: StrictInt | None = Field(ge=1, le=MAX_INT)
    amount: StrictInt = Field(ge=0, le=MAX_INT, description="Minor units of the currency")


class PeriodPriceIn(Request):
    currency: Currency = Field(
        default="USD", description="USD by default (agency panel); IDR for customer-facing")
    amount: StrictInt | None = Field(default=None, ge=0, le=MAX_INT,
                                     description="Unit scheme: price of one unit, minor units")
    brackets: list[BracketIn] | None = Field(default=None, max_length=50,
                                             description="volume | tier | package schemes")


class LimitIn(Request):
    key: str = Field(max_length=40, description="users | contacts | broadcast_quota")
    value: StrictInt = Field(ge=-1, le=MAX_INT, description="-1 = unlimited")
    action: Literal["increment", "set"]


class VisibilityIn(Request):
    resellers: Literal["all", "none"] | list[ResellerId] = Field(
        default="all", max_length=500, description="Resellers whose workspaces see it")
    direct: StrictBool = Field(default=True, description="Do the agency's direct customers "
                               "(workspaces without a reseller) see it?")


class AddonFields(Request):
    """Every field of an add-on, all optional: the PATCH body (and the base of the POST)."""
    name: Slug | None = Field(default=None, description="Internal, unique (a slug)")
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    type: AddonType | None = None
    consumption: StrictInt | None = Field(default=None, ge=0, le=MAX_INT,
                                          description="What one unit adds: users, contacts, "
                                                      "rupiah of credit")
    applicable_plans: Literal["all"] | list[PlanId] | None = Field(default=None, max_length=20)
    billing: Literal["recurring", "one_time"] | None = None
    pricing_scheme: Literal["unit", "volume", "tier", "package"] | None = None
    periods: dict[str, PeriodPriceIn | None] | None = Field(
        default=None, max_length=3, description="Keys ⊆ monthly | quarterly | yearly")
    entitlements: list[Slug] | None = Field(default=None, max_length=50)
    limits: list[LimitIn] | None = Field(default=None, max_length=10)
    allow_multiple: StrictBool | None = None
    max_quantity: StrictInt | None = Field(default=None, ge=-MAX_INT, le=1_000_000)
    requires: list[AddonId] | None = Field(default=None, max_length=50)
    incompatible_with: list[AddonId] | None = Field(default=None, max_length=50)
    status: Literal["active", "inactive"] | None = None
    visibility: VisibilityIn | None = None
    metadata: dict[MetaKey, MetaValue] | None = Field(default=None, max_length=50)
    tax_exempt: StrictBool | None = None


class AddonIn(AddonFields):
    """A new add-on (the contract's add-on shape)."""
    name: Slug
    display_name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    type: AddonType
    consumption: StrictInt = Field(default=1, ge=0, le=MAX_INT)
    applicable_plans: Literal["all"] | list[PlanId] = Field(max_length=20)
    billing: Literal["recurring", "one_time"]
    pricing_scheme: Literal["unit", "volume", "tier", "package"] = "unit"
    periods: dict[str, PeriodPriceIn | None] = Field(max_length=3)
    entitlements: list[Slug] = Field(default_factory=list, max_length=50)
    limits: list[LimitIn] = Field(default_factory=list, max_length=10)
    allow_multiple: StrictBool | None = Field(
        default=None, description="Left out: true iff max_quantity is above 1")
    max_quantity: StrictInt | None = Field(
        default=None, ge=-MAX_INT, le=1_000_000,
        description="Left out: 1 (2 or more required with allow_multiple: true)")
    requires: list[AddonId] = Field(default_factory=list, max_length=50)
    incompatible_with: list[AddonId] = Field(default_factory=list, max_length=50)
    status: Literal["active", "inactive"] = "active"
    visibility: VisibilityIn = Field(default_factory=VisibilityIn)
    metadata: dict[MetaKey, MetaValue] = Field(default_factory=dict, max_length=50)
    tax_exempt: StrictBool = Field(default=False, description="No PPN on this add-on's lines")


class AddonOut(BaseModel):
    id: str
    name: str
    display_name: str
    description: str
    type: str
    consumption: int
    applicable_plans: str | list[str]
    billing: str
    pricing_scheme: str
    periods: dict[str, dict]
    entitlements: list[str]
    limits: list[dict]
    allow_multiple: bool
    max_quantity: int
    requires: list[str]
    incompatible_with: list[str]
    status: str
    visibility: dict
    metadata: dict
    tax_exempt: bool = False
    created_at: datetime
    updated_at: datetime


class AddonsOut(BaseModel):
    addons: list[AddonOut]
    next_cursor: str | None = None


class AddonListQuery(Request):
    q: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$",
                          description="Search in name and display name")
    filter_by: Literal["all", "active", "inactive", "one_time", "recurring"] = "all"
    plan: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                             description="Only add-ons applicable to this plan")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class CatalogQuery(Request):
    workspace_id: str | None = Field(default=None, max_length=100,
                                     description="Only what this workspace may buy now")


MAX_ORDER_METADATA_BYTES = 2048


class AddonPurchaseIn(Request):
    addon_id: str = Field(min_length=1, max_length=100)
    quantity: StrictInt = Field(default=1, ge=1, le=1_000_000)
    metadata: dict[MetaKey, MetaValue] = Field(
        default_factory=dict, max_length=20,
        description="your own flat object (≤ 20 keys, ≤ 2 KB as JSON), stored on the order "
                    "and shown back")

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict) -> dict:
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_ORDER_METADATA_BYTES:
            raise ValueError(f"at most {MAX_ORDER_METADATA_BYTES} bytes as JSON")
        return value


class AddonQuantityIn(Request):
    quantity: StrictInt = Field(ge=1, le=1_000_000)


class StopQuery(Request):
    when: Literal["end", "now"] = Field(default="end", description="end: at the period end "
                                        "(default); now: at once, prorated credit to the wallet")


class AddonOrderOut(BaseModel):
    subscription: SubscriptionOut
    addon_id: str
    quantity: int = Field(description="Units held now (a purchase applies once paid)")
    invoice: InvoiceOut | None = None
    payment: PaymentOut | None = None
    credit: MoneyOut | None = Field(default=None, description="Credited to the wallet's "
                                                              "purchased conversation balance")
    order_id: str | None = None
    metadata: dict = Field(default_factory=dict, description="the order's, as bought")


class EntitlementCheckIn(Request):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$",
                     description="users | contacts | broadcast_quota, or a feature name")
    amount: StrictInt = Field(default=1, ge=0, le=MAX_INT)


class EntitlementCheckOut(BaseModel):
    key: str
    kind: Literal["limit", "feature"]
    allowed: bool
    limit: int | None = Field(description="Effective limit (-1 = unlimited); null for features")
    used: int | None


class ResellerIn(Request):
    name: str = Field(min_length=1, max_length=200)
    metadata: dict[MetaKey, MetaValue] = Field(default_factory=dict, max_length=50)


class ResellerOut(BaseModel):
    id: str
    name: str
    metadata: dict
    created_at: datetime


class ResellerCreated(BaseModel):
    reseller: ResellerOut
    api_key: str = Field(description="Shown once; store it now")


class ResellersOut(BaseModel):
    resellers: list[ResellerOut]
    next_cursor: str | None = None
