"""What the add-on catalog hands out: a frozen record per add-on (service/addons/catalog.py
converts the `addons` documents)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

FIELDS = ("name", "display_name", "description", "type", "consumption", "applicable_plans",
          "billing", "pricing_scheme", "periods", "entitlements", "limits", "allow_multiple",
          "max_quantity", "requires", "incompatible_with", "status", "visibility", "metadata")


@dataclass(frozen=True)
class Addon:
    """An add-on as the agency wrote it: the contract's add-on shape (§4b), plus its times.
    The pricing rules read billing.addons.AddonTerms, derived from the same document."""
    id: str
    name: str
    display_name: str | None
    description: str | None
    type: str
    consumption: Any
    applicable_plans: Any             # "all" | [plan ids]
    billing: str
    pricing_scheme: str
    periods: Any
    entitlements: Any
    limits: Any
    allow_multiple: bool
    max_quantity: int
    requires: Any
    incompatible_with: Any
    status: str
    visibility: Any
    metadata: Any
    created_at: datetime
    updated_at: datetime

    def contract(self) -> dict:
        """The §4b fields, as the API shows and validates them."""
        return {k: getattr(self, k) for k in FIELDS}


def addon_from_doc(doc: dict) -> Addon:
    return Addon(id=doc["_id"], **{k: doc.get(k) for k in FIELDS},
                 created_at=doc["created_at"], updated_at=doc["updated_at"])
