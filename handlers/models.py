"""Request and response models at the HTTP edge (requests forbid unknown fields)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt,
                      field_validator)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyOut(BaseModel):
    amount: int
    currency: str
    formatted: str


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: dict | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


PhoneId = str


def _phone_ids(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v.isdigit() or len(v) > 32 for v in cleaned):
        raise ValueError("phone_number_ids must be digit strings (Meta phone_number_id)")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("phone_number_ids must not repeat")
    return cleaned


class CreateWorkspace(Request):
    name: str = Field(min_length=1, max_length=200)
    phone_number_ids: list[PhoneId] = Field(min_length=1, max_length=50)
    plan: str | None = Field(default=None, min_length=1, max_length=40,
                             description="Any plan id of GET /v1/plans (default free)")
    reseller_id: str | None = Field(default=None, max_length=100)
    complimentary: StrictBool = Field(default=False, description="A paid plan given for its "
                                      "first period without an invoice (recorded)")

    _phones = field_validator("phone_number_ids")(_phone_ids)


class UpdateWorkspace(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone_number_ids: list[PhoneId] | None = Field(default=None, min_length=1, max_length=50)
    arrears_limit: int | None = Field(default=None, ge=0, le=100_000_000,
                                      description="Rupiah a reply may run into arrears")
    rate_overrides: dict[str, StrictInt] | None = Field(
        default=None, description="Price in rupiah per Meta pricing category")

    @field_validator("phone_number_ids")
    @classmethod
    def _check_phones(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _phone_ids(values)

    @field_validator("rate_overrides")
    @classmethod
    def _check_rates(cls, values: dict[str, int] | None) -> dict[str, int] | None:
        if values and any(v < 0 or v > 10_000_000 for v in values.values()):
            raise ValueError("rates must be between 0 and 10,000,000 rupiah")
        return values


class WorkspaceOut(BaseModel):
    id: str
    name: str
    phone_number_ids: list[str]
    plan: str
    reseller_id: str | None
    arrears_limit: MoneyOut
    rate_overrides: dict[str, MoneyOut]
    created_at: datetime


class WorkspacesOut(BaseModel):
    workspaces: list[WorkspaceOut]
    next_cursor: str | None = None


class WorkspaceCreated(BaseModel):
    workspace: WorkspaceOut
    api_key: str = Field(description="Shown once; store it now")


class WorkspaceKeyOut(BaseModel):
    api_key: str = Field(description="Shown once; store it now")
    revoked_keys: int = Field(description="Earlier keys of the workspace that stopped working")


class BalanceOut(BaseModel):
    granted: MoneyOut
    purchased: MoneyOut
    total: MoneyOut
    arrears: MoneyOut
    rate: MoneyOut


class WalletOut(BaseModel):
    conversation: BalanceOut
    broadcast: BalanceOut
    arrears_limit: MoneyOut


class UsageQuery(Request):
    balance: Literal["conversation", "broadcast"] | None = None
    kind: str | None = Field(default=None, max_length=40)
    from_: AwareDatetime | None = Field(default=None, alias="from",
                                       description="ISO 8601 with a UTC offset")
    to: AwareDatetime | None = Field(default=None, description="ISO 8601 with a UTC offset")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=100)


class UsageEntryOut(BaseModel):
    id: str
    time: datetime
    kind: str
    balance: str
    amount: MoneyOut = Field(description="The change of the balance; for `arrears_settlement` "
                             "the arrears it settled (the balance itself does not change)")
    balance_after: MoneyOut
    arrears_after: MoneyOut
    wamid: str | None = None
    category: str | None = None


class UsageOut(BaseModel):
    entries: list[UsageEntryOut]
    next_cursor: str | None


class AuthorizeIn(Request):
    kind: Literal["reply", "broadcast"]
    count: StrictInt = Field(ge=1, le=1_000_000)


class AuthorizeOut(BaseModel):
    allowed: bool
    kind: str
    count: int
    cost: MoneyOut
    available: MoneyOut
    balance: str


class ReconcileBalance(BaseModel):
    ledger_sum: int
    balance: int
    ok: bool


class ReconcileWorkspace(BaseModel):
    workspace_id: str
    balances: dict[str, ReconcileBalance]


class ReconcileViolation(BaseModel):
    rule: str = Field(description="the invariant broken, e.g. refund_above_paid, credited_twice")
    message: str
    workspace_id: str
    ledger_keys: list[str] = Field(description="the ledger entries involved")
    order_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None
    addon_id: str | None = None
    details: dict | None = None


class ReconcileOut(BaseModel):
    ok: bool = Field(description="every balance equals its ledger and there is no violation")
    workspaces: list[ReconcileWorkspace]
    violations: list[ReconcileViolation] = Field(
        description="ledger entries, orders, invoices and payments whose cause does not allow "
                    "them; reported, never repaired")


class ParkedPayloadOut(BaseModel):
    id: str = Field(description="SHA-256 of the raw body")
    received_at: datetime
    parked_at: datetime
    attempts: int
    last_error: str


class ParkedPayloadsOut(BaseModel):
    payloads: list[ParkedPayloadOut]


class RetriedPayloadOut(BaseModel):
    id: str
    processed: bool = Field(description="false: it failed again and waits for the sweep")
