"""A subscription's state in lists of workspaces (the agency panel), cheap enough per row: its
plan and period end, and its state — `active`; `grace` (the period ended and the next one, which costs money, is
not paid: the billing run waits `SALDO_RENEWAL_GRACE` before moving it to Free); or
`moved_to_free` (the last change was that lapse). The `past_due` rule is the one
`subscriptions.view` shows as `status`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.plans import FREE_PLAN, PlanTerms
from service.runtime.context import Services
from service.subscriptions import orders, state
from service.subscriptions.records import SubscriptionState

STATES = ("active", "grace", "moved_to_free")


@dataclass(frozen=True)
class ListState:
    workspace_id: str
    plan: str
    period: str                      # the billing unit
    period_end: datetime
    state: str                       # one of STATES


def past_due(sub: SubscriptionState, plans: dict[str, PlanTerms],
             statuses: dict[tuple[str, str], str], now: datetime) -> bool:
    """The period ended and the plan coming next costs money and is not paid."""
    coming = state.scheduled_choice(sub, plans) or state.current_choice(sub, plans)
    unpaid = coming.paid and statuses.get(coming.key) != "paid"
    return now >= sub.current.end and unpaid


async def list_state(svc: Services, workspace_id: str, plans: dict[str, PlanTerms],
                   now: datetime) -> ListState:
    sub = await state.load(svc, workspace_id)
    statuses = orders.status_by_choice(await orders.orders_for(svc, workspace_id,
                                                               sub.current.end))
    lapsed = (sub.plan == FREE_PLAN and sub.last_change is not None
              and sub.last_change.outcome == "lapsed")
    where = ("grace" if past_due(sub, plans, statuses, now)
             else "moved_to_free" if lapsed else "active")
    return ListState(workspace_id, sub.plan, sub.period, sub.current.end, where)
