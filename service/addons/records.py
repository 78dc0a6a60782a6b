"""Add-on records: what the catalog hands out, a frozen record per add-on, and add-on orders
with their lines (service/addons/repository.py converts the `addons` and `addon_orders`
documents)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from billing.addon_orders import AddonCharge
from billing.addons import CREDIT_BALANCE, AddonTerms, Holding
from billing.invoices import Text
from billing.money import Money
from billing.periods import Period

FIELDS = ("name", "display_name", "description", "type", "consumption", "applicable_plans",
          "billing", "pricing_scheme", "periods", "entitlements", "limits", "allow_multiple",
          "max_quantity", "requires", "incompatible_with", "status", "visibility", "metadata",
          "tax_exempt")


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
    rev: int = 0                      # bumped by every edit
    tax_exempt: bool = False          # no PPN on its lines (billing/tax.py)

    def contract(self) -> dict:
        """The §4b fields, as the API shows and validates them."""
        return {k: getattr(self, k) for k in FIELDS}


@dataclass(frozen=True)
class AddonOrderLine:
    """One add-on of an order, as it was priced: the add-on will have `quantity` units
    (`change` vs then), the line pays `amount` for `units` (what a consumption add-on credits:
    units x consumption rupiah). The add-on's name, type and billing are kept as they were."""
    addon_id: str
    name: str
    display_name: str | None
    type: str
    billing: str
    consumption: int | None
    quantity: int
    change: int
    units: int
    amount: Money
    description: Text
    tax_exempt: bool = False          # as the catalog said when it was priced

    @classmethod
    def of(cls, charge: AddonCharge, addon: AddonTerms) -> AddonOrderLine:
        return cls(addon.id, addon.name, addon.display_name, addon.type, addon.billing,
                   addon.consumption, charge.quantity, charge.change, charge.units,
                   charge.amount, charge.description, addon.tax_exempt)

    @property
    def recurring(self) -> bool:
        return self.billing == "recurring"

    @property
    def credit_balance(self) -> str | None:
        """The wallet balance a consumption add-on credits (None: not a consumption add-on)."""
        return CREDIT_BALANCE.get(self.type)

    @property
    def held(self) -> bool:
        """A one-time consumption add-on is used up by its credit: nothing to hold."""
        return self.recurring or self.credit_balance is None

    def priced_on(self, held: Holding | None) -> bool:
        """Is the add-on held in the quantity the line was priced on? A recurring line for
        `quantity` units with `change` applies only on `quantity - change` held (anything
        else: a concurrent change came first)."""
        return not self.recurring or (held.quantity if held else 0) == self.quantity - self.change


OPEN = ("new", "pending")


@dataclass(frozen=True)
class AddonOrder:
    """An add-on order: a purchase or change (`_id` `ao_<seed>`) for the rest of the current
    period, or a renewal of the next one. new → pending (its invoice placed) → paid | closed;
    a paid purchase or change is `applied` or `not_applied` (`outcome`, once fulfilled)."""
    id: str
    workspace_id: str
    action: str                  # purchase | change | renewal
    unit: str                    # the period unit the lines were priced for
    period_start: datetime
    period_end: datetime
    lines: tuple[AddonOrderLine, ...]
    amount: Money
    seed: str
    status: str = "new"
    invoice_id: str | None = None
    invoice_code: str | None = None
    created_at: datetime | None = None
    outcome: str | None = None   # applied | not_applied (purchase | change, once paid)
    metadata: Mapping[str, object] = field(default_factory=dict)   # the buyer's, as given

    @classmethod
    def new(cls, order_id: str, workspace_id: str, action: str, unit: str, covers: Period,
            lines: tuple[AddonOrderLine, ...], seed: str, now: datetime,
            metadata: Mapping[str, object] | None = None) -> AddonOrder:
        total = Money.zero(lines[0].amount.currency)
        for line in lines:
            total = total + line.amount
        return cls(order_id, workspace_id, action, unit, covers.start, covers.end, tuple(lines),
                   total, seed, created_at=now, metadata=dict(metadata or {}))

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def recurring(self) -> bool:
        return any(line.recurring for line in self.lines)

    def has(self, addon_id: str) -> bool:
        return any(line.addon_id == addon_id for line in self.lines)
