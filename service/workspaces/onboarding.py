"""Opening a workspace (`POST /v1/workspaces`): the workspace, and on a paid plan its first
invoice. A paid plan starts when it is paid:

- the workspace is created on Free, with the Free grant, and the first period's invoice for the
  plan is issued at once (type `subscription`, the plan's monthly price, for the monthly period
  that began at creation; the answer carries its checkout link);
- paying it switches the workspace to the plan for that period, with the rest of the plan's
  grant (an immediate change: service.subscriptions.orders);
- left unpaid, it expires after PAYMENT_EXPIRY and the workspace stays on Free (it can still
  change plan later like any Free workspace).

`complimentary: true` (admin or reseller) starts the paid plan at once without an invoice; the
gift is recorded on the subscription (`complimentary`) and renewals are invoiced as usual.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.plans import FREE_PLAN
from service.payments.payments import configured_provider
from service.runtime.context import Services
from service.subscriptions import announce, state, subscriptions
from service.subscriptions.plans import load_plans
from service.subscriptions.records import SubscriptionView
from service.workspaces.records import Workspace
from service.workspaces.workspaces import Principal, create_workspace


@dataclass(frozen=True)
class Opened:
    workspace: Workspace
    api_key: str
    subscription: SubscriptionView
    invoice: dict | None         # the first period's, on a paid plan not complimentary
    payment: dict | None


async def open_workspace(svc: Services, principal: Principal, *, name: str,
                         phone_number_ids: list[str], plan: str | None,
                         reseller_id: str | None, complimentary: bool, now: datetime) -> Opened:
    invoiced = not complimentary and await _is_paid(svc, plan)
    if invoiced:
        # 409 payments_unavailable before anything is written
        configured_provider(svc.settings, svc.providers)
    workspace, key = await create_workspace(
        svc, principal, name=name, phone_number_ids=phone_number_ids,
        plan=FREE_PLAN if invoiced else plan, reseller_id=reseller_id, now=now,
        tz=svc.settings.tz, complimentary=complimentary)
    await announce.announce(svc, await state.load(svc, workspace.id), "created", None, now)
    if not invoiced:
        return Opened(workspace, key, await subscriptions.view(svc, workspace.id, now),
                      None, None)
    placed = await subscriptions.invoice_first_period(svc, workspace, plan, now)
    return Opened(workspace, key, placed.subscription, placed.invoice, placed.payment)


async def _is_paid(svc: Services, plan_id: str | None) -> bool:
    """An unknown plan is refused by create_workspace (plan_not_found)."""
    found = (await load_plans(svc.db)).get(plan_id or FREE_PLAN)
    return found is not None and found.is_paid("monthly")
