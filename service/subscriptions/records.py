"""What the subscriptions feature hands to handlers: frozen records of a subscription as the API
shows it (built by service.subscriptions.subscriptions.view from the stored document)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.periods import Period
from billing.plans import PlanTerms


@dataclass(frozen=True)
class ScheduledChange:
    kind: str | None                 # subscription | plan_change | cancel | …
    plan: str | None
    period: str | None
    timing: str | None               # end_of_term | immediate
    effective_at: datetime | None
    invoice_code: str | None
    requested_at: datetime | None

    @classmethod
    def from_doc(cls, change: dict | None) -> ScheduledChange | None:
        if not change:
            return None
        return cls(change.get("kind"), change.get("plan"), change.get("period"),
                   change.get("timing"), change.get("effective_at"), change.get("invoice_code"),
                   change.get("requested_at"))


@dataclass(frozen=True)
class Gift:
    """A complimentary period: the plan given without an invoice, and by whom."""
    plan: str
    by: str                          # admin | reseller
    reseller_id: str | None
    period: Period

    @classmethod
    def from_doc(cls, gift: dict | None) -> Gift | None:
        if not gift:
            return None
        return cls(gift["plan"], gift["by"], gift.get("reseller_id"),
                   Period(gift["period_start"], gift["period_end"]))


@dataclass(frozen=True)
class HeldAddon:
    addon_id: str
    name: str | None
    display_name: str | None
    type: str | None
    billing: str | None
    quantity: int
    next_quantity: int | None        # from the next period (None: the same; 0: it stops)
    added_at: datetime | None

    @property
    def stops_at_period_end(self) -> bool:
        return self.next_quantity == 0


@dataclass(frozen=True)
class LimitUsage:
    used: int
    maximum: int                     # with the add-ons; -1 unlimited
    plan_maximum: int

    @property
    def exceeded(self) -> bool:
        return self.maximum != -1 and self.used > self.maximum


@dataclass(frozen=True)
class SubscriptionView:
    workspace_id: str
    plan: PlanTerms
    period: str                      # the billing unit: monthly | …
    status: str                      # active | past_due
    current_period: Period
    scheduled_change: ScheduledChange | None
    next_period_paid: bool
    complimentary: Gift | None
    addons: tuple[HeldAddon, ...]
    entitlements: tuple[str, ...]
    usage: dict[str, LimitUsage]
