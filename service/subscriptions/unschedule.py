"""A scheduled change removed unapplied, announced as `subscription.change_unscheduled` (the
client that heard `subscription.change_scheduled` or `subscription.canceled` hears it undone):
its undo (DELETE …/scheduled-change), a change replacing one that waited for an invoice, or that
invoice closing unpaid. Like the scheduling's, the event is journaled in the save that removes
the change (state.save, `outbox`): a process dying right after the write loses none.
Only end-of-term changes are announced (an immediate one waiting for its invoice never was)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.runtime.context import Services
from service.subscriptions import announce, state
from service.subscriptions.records import LastChange, SubscriptionState


async def save_without_change(svc: Services, sub: SubscriptionState, now: datetime,
                              last: LastChange | None = None) -> bool:
    """Save `sub` (as read) without its scheduled change, with the event of its removal;
    False when someone wrote first."""
    dropped = replace(sub, scheduled_change=None, last_change=last or sub.last_change)
    stored = replace(dropped, version=(sub.version or 0) + 1)
    events = await announce.unscheduled_events(svc, stored, sub.scheduled_change, now)
    return await state.save(svc, dropped, now, events)


async def drop_waiting_change(svc: Services, workspace_id: str, order_id: str, outcome: str,
                              now: datetime) -> None:
    """The scheduled change that waited for `order_id` is dropped (its invoice closed)."""
    async def attempt() -> bool | None:
        sub = await state.load(svc, workspace_id)
        change = sub.scheduled_change
        if change is None or change.order_id != order_id:
            return True
        last = LastChange(outcome, now, order_id=order_id)
        return await save_without_change(svc, sub, now, last) or None
    await state.retrying(attempt, "dropping its scheduled change", state.PAID_RETRIES)
