"""Where a subscription stands, for the subscription screen (issue 12 screen 1), read only:
what `view` does not say. The invoice the next step waits for (a renewal due, or a scheduled
change waiting for its payment) while it can still be paid; in the grace period, when the
workspace moves to Free unless it is paid (billing.subscriptions.lapse_at, the rule the billing
run follows); and whether the workspace was moved to Free because a renewal went unpaid.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.invoices import payable
from billing.plans import FREE_PLAN
from billing.subscriptions import lapse_at
from service.invoices import invoices
from service.invoices.records import Invoice
from service.runtime.context import Services
from service.subscriptions import orders, repository, state


@dataclass(frozen=True)
class Standing:
    due: Invoice | None              # the open plan invoice the next step waits for
    lapses_at: datetime | None       # after the period's end, unpaid: moves to Free then
    lapsed_at: datetime | None       # moved to Free then, its renewal unpaid


async def standing(svc: Services, workspace_id: str, now: datetime) -> Standing:
    sub = await state.load(svc, workspace_id)
    following = await orders.orders_for(svc, workspace_id, sub.current.end)
    change = sub.scheduled_change
    wanted = change.key if change else (sub.plan, sub.period)
    order_ids = [change.order_id] if change and change.order_id else []
    order_ids += [o.id for o in sorted(following, key=lambda o: o.key != wanted)
                  if o.status in orders.OPEN]
    due = None
    for order_id in order_ids:
        due = await _payable_invoice(svc, order_id, following, now)
        if due:
            break
    since = min((o.created_at for o in following), default=None)
    lapses = lapse_at(sub.current.end, since, svc.settings.renewal_grace) \
        if now >= sub.current.end else None
    last = sub.last_change
    lapsed = last.effective_at or last.at if last and last.outcome == "lapsed" \
        and sub.plan == FREE_PLAN else None
    return Standing(due, lapses, lapsed)


async def _payable_invoice(svc: Services, order_id: str, known: list,
                           now: datetime) -> Invoice | None:
    order = next((o for o in known if o.id == order_id), None) \
        or await repository.get_order(svc, order_id)
    if order is None or order.status not in orders.OPEN or not order.invoice_id:
        return None
    invoice = await invoices.get(svc.db, order.invoice_id)
    return invoice if payable(invoice.status, invoice.expires_at, now) else None
