"""What the workspaces feature hands out: frozen records, never store documents
(service/workspaces/repository.py converts)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from billing.billing_info import BillingInfo
from billing.money import Money


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    phone_number_ids: tuple[str, ...]
    plan: str                         # follows the subscription (drives the rate card)
    reseller_id: str | None
    arrears_limit: Money
    rate_overrides: Mapping[str, Money] = field(default_factory=dict)
    created_at: datetime | None = None
    billing_info: BillingInfo | None = None   # the invoices' buyer (None: never filled)


@dataclass(frozen=True)
class ApiKey:
    hash: str                         # SHA-256 of the key; the key itself is never stored
    role: str                         # workspace | reseller
    workspace_id: str | None = None
    reseller_id: str | None = None
    created_at: datetime | None = None
    revoked: bool = False

    def names_its_tenant(self) -> bool:
        """A workspace or reseller key must name its tenant: a None would otherwise match every
        workspace without a reseller (fail closed)."""
        tenant = {"workspace": self.workspace_id, "reseller": self.reseller_id}
        return self.role not in tenant or bool(tenant[self.role])


@dataclass(frozen=True)
class Reseller:
    id: str
    name: str
    metadata: Mapping[str, object]
    created_at: datetime


@dataclass(frozen=True)
class PhoneClaim:
    """A phone_number_id owned by one workspace (unique by the number)."""
    phone_number_id: str
    workspace_id: str
    claimed_at: datetime
