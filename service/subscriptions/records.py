"""The subscriptions feature's frozen records: a subscription as the API shows it
(`SubscriptionView`, built by service.subscriptions.subscriptions.view), and as it is stored
(`SubscriptionState`, `SubscriptionOrder`: service/subscriptions/repository.py converts the
documents, use cases decide on the records)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from billing.money import Money
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
    def of(cls, change: PendingChange | None) -> ScheduledChange | None:
        if change is None:
            return None
        return cls(change.kind, change.plan, change.period, change.timing, change.effective_at,
                   change.invoice_code, change.requested_at)


@dataclass(frozen=True)
class Gift:
    """A complimentary period: the plan given without an invoice, and by whom."""
    plan: str
    by: str                          # admin | reseller
    reseller_id: str | None
    period: Period
    at: datetime | None = None


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


# --- the stored state (service/subscriptions/repository.py converts the documents) -----------

@dataclass(frozen=True)
class PendingChange:
    """The stored `scheduled_change`: a plan choice waiting for the boundary (end of term) or
    for its invoice (an immediate upgrade, a first period)."""
    kind: str | None                 # subscription | change | cancel
    plan: str
    period: str
    timing: str | None               # end_of_term | immediate
    order_id: str | None
    invoice_code: str | None
    requested_at: datetime | None
    effective_at: datetime | None
    addons: Mapping[str, int] | None  # add-on quantities wanted after it (None: none named)

    @property
    def key(self) -> tuple[str, str]:
        return self.plan, self.period


@dataclass(frozen=True)
class LastChange:
    """How the last change ended: applied, expired, cancelled, lapsed, changed …"""
    outcome: str
    at: datetime
    order_id: str | None = None
    from_plan: str | None = None
    plan: str | None = None
    effective_at: datetime | None = None
    addon_lines: tuple[str, ...] | None = None  # an upgrade's add-on lines that applied
    #                                            (None: not recorded, by an older version)


@dataclass(frozen=True)
class Boundary:
    """A period boundary half done: the period moved, the ledger part not posted yet."""
    ended_start: datetime
    start: datetime
    plan: str
    expire: bool                     # expire what is left of the ended period's grant
    grant: Money                     # the new period's grant


@dataclass(frozen=True)
class Claim:
    by: str                          # the billing worker
    until: datetime                  # its lease


@dataclass(frozen=True)
class HoldingEntry:
    """One held add-on as stored (service/addons/holdings.py gives its meaning)."""
    quantity: int
    next_quantity: int | None        # None: renews as is; 0: stops at the period end
    added_at: datetime | None
    rev: int                         # the subscription version that last changed it


@dataclass(frozen=True)
class AddonCredit:
    """A wallet credit owed by an add-on change, posted (then dropped) after the write."""
    key: str
    balance: str
    amount: Money
    meta: Mapping[str, Any]


@dataclass(frozen=True)
class AddonChangeMark:
    """The last change of one holding (a concurrent request of the same change replays it)."""
    key: str
    next_quantity: int | None
    credit: Money | None


@dataclass(frozen=True)
class Announced:
    """The effective limits the last `entitlements.changed` of the workspace carries, as the
    billing pass knew them when it released its claim, written by that release at `version`
    (service/subscriptions/billing_run.py): true for as long as nothing else wrote the
    subscription (every use case that announces new limits writes it first)."""
    limits: Mapping[str, Any]
    version: int


@dataclass(frozen=True)
class SubscriptionState:
    """A workspace's subscription as stored (`subscriptions`, one per workspace). Decisions are
    `dataclasses.replace` of the record read, saved by one versioned replace."""
    workspace_id: str
    plan: str
    period: str                      # the billing unit: monthly | quarterly | yearly
    anchor: datetime                 # its day of month anchors every period
    current: Period
    status: str
    scheduled_change: PendingChange | None
    complimentary: Gift | None
    created_at: datetime | None
    version: int | None              # None: never saved since created
    due: datetime | None = None      # when the billing run looks again (None: at once)
    claim: Claim | None = None
    boundary: Boundary | None = None
    last_change: LastChange | None = None
    addons: Mapping[str, HoldingEntry] = field(default_factory=dict)
    addon_changes: Mapping[str, AddonChangeMark] = field(default_factory=dict)
    addon_credits: tuple[AddonCredit, ...] = ()
    addon_orders_applied: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # fields this version does not know
    outbox: tuple[Mapping[str, Any], ...] = ()   # events its save journaled (state.save)
    announced: Announced | None = None   # the limits last announced, per the last pass

    @property
    def current_period_start(self) -> datetime:
        return self.current.start

    @property
    def current_period_end(self) -> datetime:
        return self.current.end


@dataclass(frozen=True)
class OrderApplied:
    """A paid immediate order applied to the subscription."""
    at: datetime
    addon_lines: tuple[str, ...] | None  # None: not recorded, by an older version


@dataclass(frozen=True)
class SubscriptionOrder:
    """A plan invoice's order (`subscription_orders`), see service/subscriptions/orders.py."""
    id: str
    workspace_id: str
    timing: str                      # end_of_term | immediate
    covers: Period                   # the period paid for
    plan: str
    period: str
    from_plan: str
    from_period: str
    invoice_type: str
    amount: Money                    # the plan line
    seed: str
    detail: str
    addons: tuple[dict, ...]         # add-on order lines (service/addons/orders.line_doc)
    status: str                      # new | pending | paid | closed
    invoice_id: str | None
    invoice_code: str | None
    created_at: datetime
    paid_at: datetime | None = None
    applied: OrderApplied | None = None
    outcome: str | None = None       # not_applied: paid but stale (refund it)

    @property
    def key(self) -> tuple[str, str]:
        return self.plan, self.period
