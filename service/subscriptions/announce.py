"""The subscription's events (issue 15; catalog: service/events/catalog.py):

- `subscription.created`: a workspace's subscription starts (workspace creation);
- `subscription.change_scheduled` / `subscription.canceled`: an end-of-term change or a cancel
  was recorded (applied at the period end); keyed by the subscription version that recorded it
  and journaled in that version's save (`scheduled_events`, state.save: a process that dies
  after the save loses nothing);
- `subscription.change_unscheduled`: such a change was removed unapplied (undone, replaced
  while its invoice was open, or that invoice closed unpaid): the subscription as saved, plus
  `undone` (the removed change); journaled the same way (service/subscriptions/unschedule.py);
- `subscription.changed`: another plan or period applies (an immediate upgrade or first period
  paid, keyed by its order; a scheduled change at the boundary, keyed by the boundary);
- `subscription.renewed`: the next period of the same plan began (keyed by the boundary);
- `subscription.moved_to_free`: a boundary moved it to Free (its cancel, a change to Free, or a
  renewal left unpaid past the grace);
- `subscription.grace_started`: the period ended unpaid; it stays on its plan until the grace
  ends (keyed by the period end);
- `entitlements.changed` after any of them when the effective limits moved
  (service/addons/holdings.entitlements_changed).

A boundary's events are emitted before `finish_boundary` removes the boundary from the
document, so a pass that dies in between emits them again (and the ids drop the duplicates).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Mapping

from billing.plans import FREE_PLAN, PlanTerms
from service.addons.holdings import entitlements_changed, holdings_of
from service.events import shapes
from service.events.emit import TENANTS, emit, event_doc
from service.mongo.docs import to_ms
from service.runtime.context import Services
from service.subscriptions.records import Boundary, PendingChange, SubscriptionState


def subscription_data(sub: SubscriptionState) -> dict:
    """GET …/subscription's core fields (SubscriptionOut) from the stored state."""
    change = sub.scheduled_change
    return {"workspace_id": sub.workspace_id, "plan": sub.plan, "period": sub.period,
            "status": sub.status,
            "current_period": {"start": shapes.when(sub.current.start),
                               "end": shapes.when(sub.current.end)},
            "scheduled_change": None if change is None else {
                "kind": change.kind, "plan": change.plan, "period": change.period,
                "timing": change.timing, "effective_at": shapes.when(change.effective_at),
                "invoice_code": change.invoice_code},
            "addons": [{"addon_id": a, "quantity": h.quantity}
                       for a, h in sorted(holdings_of(sub).items())]}


async def announce(svc: Services, sub: SubscriptionState, event: str, key: str | None,
                   now: datetime, plans: dict[str, PlanTerms] | None = None,
                   announced: Mapping | None = None, **extra) -> dict:
    """`subscription.<event>` with the subscription as it is now, then the limits if moved
    (`announced`: see holdings.entitlements_changed). → the limits last announced."""
    await emit(svc.db, f"subscription.{event}", sub.workspace_id, sub.workspace_id,
               {**subscription_data(sub), **extra}, now, key=key)
    return await entitlements_changed(svc, sub, now, plans, announced)


async def scheduled_events(svc: Services, sub: SubscriptionState, now: datetime) -> list[dict]:
    """The event of saving a change or cancel (`sub`: as it will be stored, its version the
    one saved), journaled by that save (state.save), so that it is not lost with a process
    that dies right after the write."""
    change = sub.scheduled_change
    if change is None or change.timing != "end_of_term":
        return []               # an immediate one is announced when its invoice is paid
    event = "canceled" if change.kind == "cancel" else "change_scheduled"
    reseller = await TENANTS.reseller_of(svc.db, sub.workspace_id)
    return [event_doc(f"subscription.{event}", sub.workspace_id, sub.workspace_id, reseller,
                      subscription_data(sub), now, key=f"v{sub.version}")]


async def unscheduled_events(svc: Services, sub: SubscriptionState, undone: PendingChange | None,
                             now: datetime) -> list[dict]:
    """The event of saving `sub` without the change `undone` (as scheduled_events)."""
    if undone is None or undone.timing != "end_of_term":
        return []               # an immediate one was never announced
    reseller = await TENANTS.reseller_of(svc.db, sub.workspace_id)
    data = {**subscription_data(sub),
            "undone": subscription_data(replace(sub, scheduled_change=undone))["scheduled_change"]}
    return [event_doc("subscription.change_unscheduled", sub.workspace_id, sub.workspace_id,
                      reseller, data, now, key=f"v{sub.version}")]


async def boundary_crossed(svc: Services, sub: SubscriptionState, boundary: Boundary,
                           now: datetime, plans: dict[str, PlanTerms] | None = None,
                           announced: Mapping | None = None) -> dict:
    """`sub` moved into a new period (its `boundary` not finished yet). → as `announce`."""
    last = sub.last_change
    reason = last.outcome if last and last.effective_at == boundary.start else "renewed"
    if reason != "renewed" and sub.plan == FREE_PLAN:
        event = "moved_to_free"
    else:
        event = "renewed" if reason == "renewed" else "changed"
    return await announce(svc, sub, event, f"p{to_ms(boundary.start)}", now, plans, announced,
                          reason=reason)


async def grace_started(svc: Services, sub: SubscriptionState, now: datetime) -> None:
    await emit(svc.db, "subscription.grace_started", sub.workspace_id, sub.workspace_id,
               {**subscription_data(sub), "status": "past_due"}, now,
               key=f"p{to_ms(sub.current.end)}")
