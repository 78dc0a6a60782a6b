"""Subscription use cases: read with usage, quote, change, cancel, undo, renew, report usage.

Every write is a versioned update (service/subscriptions/state.py); invoices go through the
issue-3 order flow (service/subscriptions/orders.py). An end-of-term change is recorded as
`scheduled_change` and applied by the billing run at the boundary if it is free or paid; an
immediate upgrade (policy table) is applied when its prorated invoice is paid.
Once the next period is paid, it can no longer be changed (409 next_period_already_paid).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing.addon_orders import with_addons
from billing.addons import effective_limits, entitlements
from billing.billing_info import require_complete
from billing.errors import (AlreadyRenewed, Conflict, NextPeriodAlreadyPaid, NoScheduledChange,
                            NothingToRenew, ScheduledChangePaid)
from billing.periods import Period
from billing.plans import FREE_PLAN, LIMIT_KEYS, PlanTerms, find_plan
from billing.subscriptions import Choice, Quote, invoice_type, quote_change
from service.addons import orders as addon_orders
from service.addons import renewals as addon_renewals
from service.addons import switch as addon_switch
from service.addons.holdings import (entitlements_changed, held_terms, holdings_of,
                                     holdings_view)
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.subscriptions import announce, orders, repository, state, unschedule
from service.subscriptions.records import (LimitUsage, PendingChange, ScheduledChange,
                                           SubscriptionOrder, SubscriptionState, SubscriptionView)
from service.subscriptions.plans import load_plans, load_policy
from service.subscriptions.list_state import past_due
from service.wallet.reports import broadcasts_charged


@dataclass(frozen=True)
class Placed:
    subscription: SubscriptionView
    quote: Quote | None
    order: SubscriptionOrder | None
    invoice: dict | None
    payment: dict | None
    others: tuple[tuple[dict, dict | None], ...] = ()   # add-on invoices in other currencies


async def usage_of(svc: Services, workspace_id: str, period: Period) -> dict[str, int]:
    """Users and contacts as reported by the chat platform; broadcasts charged this period."""
    users, contacts = await repository.reported_usage(svc, workspace_id)
    broadcasts = await broadcasts_charged(svc, workspace_id, period.start, period.end)
    return {"users": users, "contacts": contacts, "broadcast_quota": broadcasts}


async def report_usage(svc: Services, workspace_id: str, users: int, contacts: int,
                       now: datetime) -> None:
    await repository.report_usage(svc, workspace_id, users, contacts, now)


async def view(svc: Services, workspace_id: str, now: datetime) -> SubscriptionView:
    """The subscription as the API shows it (plain data; handlers format it)."""
    sub = await state.load(svc, workspace_id)
    plans = await load_plans(svc.db)
    plan = find_plan(plans, sub.plan)
    period = sub.current
    used = await usage_of(svc, workspace_id, period)
    statuses = orders.status_by_choice(await orders.orders_for(svc, workspace_id, period.end))
    held = await held_terms(svc, sub)
    pairs = [(held[a], h.quantity) for a, h in holdings_of(sub).items() if a in held]
    limits = effective_limits(plan.limits, pairs)
    status = "past_due" if past_due(sub, plans, statuses, now) else "active"
    return SubscriptionView(
        workspace_id, plan, sub.period, status, period, ScheduledChange.of(sub.scheduled_change), "paid" in statuses.values(),
        sub.complimentary, holdings_view(sub, held), tuple(sorted(entitlements(pairs))),
        {k: LimitUsage(used[k], limits[k], plan.limit(k)) for k in LIMIT_KEYS})


async def quote(svc: Services, workspace: Workspace, plan_id: str, unit: str,
                addons: list[tuple[str, int]], now: datetime) -> Quote:
    sub, plans, target, wanted = await _target(svc, workspace, plan_id, unit, addons)
    return (await _quote(svc, sub, plans, target, wanted, now)).quote


async def _target(svc: Services, workspace: Workspace, plan_id: str, unit: str,
                  addons: list[tuple[str, int]]
                  ) -> tuple[SubscriptionState, dict[str, PlanTerms], Choice, dict[str, int]]:
    plans = await load_plans(svc.db)
    target = Choice(find_plan(plans, plan_id), unit)
    target.plan.price(unit)  # unknown or unsold period → 422 on `period`
    sub = await state.load(svc, workspace.id)
    wanted = await addon_switch.check_requested(svc, workspace, sub, target, addons)
    return sub, plans, target, wanted


@dataclass(frozen=True)
class _Quoted:
    quote: Quote                 # every line, in every currency
    plan_lines: tuple[dict, ...]  # the add-on lines of the plan invoice (its currency)
    other_lines: dict[str, list[dict]]  # currency → the lines of its own add-on invoice


async def _quote(svc: Services, sub: SubscriptionState, plans: dict[str, PlanTerms],
                 target: Choice, wanted: dict[str, int], now: datetime) -> _Quoted:
    """The plan quote with its add-on lines, and those lines as order lines per invoice."""
    period, current = sub.current, state.current_choice(sub, plans)
    used = await usage_of(svc, sub.workspace_id, period)
    removed, limits = await addon_switch.at_switch(svc, sub, current.plan, target, wanted)
    q = quote_change(current, target, period, state.anchor_day(sub, svc.settings.tz),
                     await load_policy(svc), used, now, svc.settings.tz, limits)
    others: list = []
    if q.timing == "immediate":     # another currency than the plan's: 422
        pairs = await addon_switch.immediate_charges(svc, sub, wanted, q.total.currency, now)
    else:
        pairs = await addon_renewals.plan_order_charges(svc, sub, target, wanted, q.covers)
        others = await addon_renewals.other_currency_charges(svc, sub, target, wanted, q.covers)
    by_currency: dict[str, list[dict]] = {}
    for charge, addon in others:
        by_currency.setdefault(addon.currency, []).append(addon_orders.line_doc(charge, addon))
    return _Quoted(with_addons(q, [c for c, _ in pairs + others], removed),
                   tuple(addon_orders.line_doc(c, a) for c, a in pairs), by_currency)


@dataclass(frozen=True)
class PricedChange:
    """A plan change as its order will be placed (`change_plan`) and previewed."""
    sub: SubscriptionState
    target: Choice
    wanted: dict[str, int]
    quote: Quote
    spec: orders.OrderSpec | None       # the plan invoice's order (None: no plan invoice)
    other_lines: dict[str, list[dict]]  # currency → its own add-on invoice's lines


async def price_change(svc: Services, workspace: Workspace, plan_id: str, unit: str,
                       addons: list[tuple[str, int]], now: datetime,
                       require_info: bool = False) -> PricedChange:
    sub, plans, target, wanted = await _target(svc, workspace, plan_id, unit, addons)
    if require_info and target.paid:    # a switch to Free (or a cancel) never needs it
        require_complete(workspace.billing_info)
    quoted = await _quote(svc, sub, plans, target, wanted, now)
    q, spec = quoted.quote, None
    if q.timing == "end_of_term":
        await _refuse_if_next_paid(svc, sub, target.unit)
    if q.total.amount > 0 and target.paid:  # a free plan never waits for a payment: its
        # add-ons get their own renewal invoice from the billing run (addon_renewals)
        spec = orders.OrderSpec(sub.workspace_id, state.current_choice(sub, plans), target,
                                q.covers, q.timing, q.invoice_type, q.lines[0].amount,
                                q.lines[0].description if q.timing == "immediate" else "",
                                quoted.plan_lines)
    return PricedChange(sub, target, wanted, q, spec, quoted.other_lines)


async def _refuse_if_next_paid(svc: Services, sub: SubscriptionState, unit: str) -> None:
    """Also when add-ons of the next period were paid for in another period unit."""
    statuses = orders.status_by_choice(
        await orders.orders_for(svc, sub.workspace_id, sub.current.end))
    addons_paid = [o for o in await addon_orders.renewals_for(svc, sub.workspace_id,
                                                               sub.current.end)
                   if o.status == "paid" and o.unit != unit]
    if "paid" in statuses.values() or addons_paid:
        raise NextPeriodAlreadyPaid("The next period is already paid; it can no longer be changed")


async def _refuse_if_paid_meanwhile(svc: Services, sub: SubscriptionState, unit: str,
                                   own: SubscriptionOrder | None, now: datetime) -> None:
    """After the other orders were made unpayable (or settled, if paid meanwhile): refuse,
    and withdraw this request's own invoice, if the next period turned out to be paid."""
    try:
        await _refuse_if_next_paid(svc, sub, unit)
    except Conflict:
        await orders.cancel_order(svc, own and own.id, now)
        raise


async def _drop_other_orders(svc: Services, sub: SubscriptionState, keep: str | None,
                             unit: str, now: datetime) -> None:
    """Cancel the open invoices of the next period that the new plan choice makes moot."""
    for o in await orders.orders_for(svc, sub.workspace_id, sub.current.end):
        if o.id != keep and o.status in orders.OPEN:
            await orders.cancel_order(svc, o.id, now)
    for o in await addon_orders.renewals_for(svc, sub.workspace_id, sub.current.end):
        if o.unit != unit:            # add-ons renewed for another period unit
            await addon_orders.close_or_settle(svc, o, now)
    change = sub.scheduled_change
    if change and change.order_id not in (None, keep):
        await orders.cancel_order(svc, change.order_id, now)


async def change_plan(svc: Services, workspace: Workspace, plan_id: str, unit: str,
                      addons: list[tuple[str, int]], now: datetime, seed: str,
                      kind: str = "change") -> Placed:
    """Schedule (or, by policy, invoice for now) a change; replaces any scheduled change."""
    async def attempt() -> Placed | None:
        priced = await price_change(svc, workspace, plan_id, unit, addons, now, True)
        sub, target, wanted, q = priced.sub, priced.target, priced.wanted, priced.quote
        order = invoice = payment = None
        if priced.spec:
            order, invoice, payment = await orders.issue(svc, workspace, priced.spec, now, seed)
        others = await addon_renewals.place_other_currencies(
            svc, workspace, sub, target, q.covers, priced.other_lines, now) \
            if q.timing == "end_of_term" else []
        await _drop_other_orders(svc, sub, order and order.id, target.unit, now)
        if q.timing == "end_of_term":   # again: one of them may have been paid meanwhile
            await _refuse_if_paid_meanwhile(svc, sub, target.unit, order, now)
        change = PendingChange(kind, target.plan.id, target.unit, q.timing, order and order.id,
                               invoice and invoice.code, now, q.effective_at, wanted)
        stored = replace(sub, scheduled_change=change, version=(sub.version or 0) + 1)
        events = await announce.scheduled_events(svc, stored, now)   # journaled by the save
        if not await state.save(svc, replace(sub, scheduled_change=change), now, events):
            return None
        if events:
            await entitlements_changed(svc, stored, now)
        invoice = await orders.fulfil_paid(svc, invoice, now)     # paid by account credit
        return Placed(await view(svc, sub.workspace_id, now), q, order, invoice, payment,
                      tuple(others))
    return await state.retrying(attempt, "changing the plan")


async def cancel_subscription(svc: Services, workspace: Workspace, now: datetime,
                              seed: str) -> Placed:
    """Keep the paid period; switch to Free at its end (undo: delete the scheduled change).
    Add-ons that carry over to Free get an invoice of their own (service/addons/renewals.py)."""
    return await change_plan(svc, workspace, FREE_PLAN, "monthly", [], now, seed, "cancel")


async def cancel_scheduled_change(svc: Services, workspace_id: str,
                                  now: datetime) -> SubscriptionView:
    async def attempt() -> SubscriptionView | None:
        sub = await state.load(svc, workspace_id)
        change = sub.scheduled_change
        if change is None:
            raise NoScheduledChange("There is no scheduled change")
        order = await orders.cancel_order(svc, change.order_id, now)
        if order and order.status == "paid":          # (also: paid meanwhile, settled now)
            raise ScheduledChangePaid("The scheduled change is already paid")
        await addon_renewals.cancel_open_renewals(svc, workspace_id, sub.current.end, now)
        sub = await state.load(svc, workspace_id)  # cancelling may have dropped it already
        if sub.scheduled_change and not await unschedule.save_without_change(svc, sub, now):
            return None
        return await view(svc, workspace_id, now)
    return await state.retrying(attempt, "cancelling the scheduled change")


async def invoice_first_period(svc: Services, workspace: Workspace, plan_id: str,
                               now: datetime) -> Placed:
    """The first invoice of a workspace created (on Free) for a paid plan: the plan's monthly
    price for the period that began at creation, an immediate change applied when it is paid
    (service/workspaces/onboarding.py). Unpaid, it expires and the workspace stays on Free."""
    sub = await state.load(svc, workspace.id)
    plans = await load_plans(svc.db)
    target = Choice(find_plan(plans, plan_id), "monthly")
    spec = orders.OrderSpec(sub.workspace_id, state.current_choice(sub, plans), target,
                            sub.current, "immediate", "subscription",
                            target.plan.price(target.unit))
    order, invoice, payment = await orders.issue(svc, workspace, spec, now)
    change = PendingChange("subscription", target.plan.id, target.unit, "immediate", order.id,
                           invoice and invoice.code, now, None, {})
    if not await state.save(svc, replace(sub, scheduled_change=change), now):
        raise Conflict("The subscription changed while it was opened; try again")
    invoice = await orders.fulfil_paid(svc, invoice, now)         # paid by account credit
    return Placed(await view(svc, sub.workspace_id, now), None, order, invoice, payment)


async def renew_subscription(svc: Services, workspace: Workspace, now: datetime,
                             seed: str | None = None) -> Placed:
    """Invoice the next period (it starts where the current one ends) for the plan it will
    have: the scheduled change's, else the current one. An open invoice is returned again."""
    sub, spec = await price_renewal(svc, workspace, True)
    waited = sub.scheduled_change and sub.scheduled_change.order_id
    order, invoice, payment = await orders.issue(svc, workspace, spec, now, seed,
                                                 retax=not waited)
    if invoice is None:
        raise AlreadyRenewed("The next period is already paid")
    invoice = await orders.fulfil_paid(svc, invoice, now)         # paid by account credit
    return Placed(await view(svc, sub.workspace_id, now), None, order, invoice, payment)


async def price_renewal(svc: Services, workspace: Workspace, require_info: bool = False
                        ) -> tuple[SubscriptionState, orders.OrderSpec]:
    """The next period's order as `renew_subscription` places it (and previews show it)."""
    sub = await state.load(svc, workspace.id)
    plans = await load_plans(svc.db)
    current = state.current_choice(sub, plans)
    target = state.scheduled_choice(sub, plans) or current
    if not target.paid:
        raise NothingToRenew("The next period costs nothing; it renews by itself")
    if require_info:
        require_complete(workspace.billing_info)
    covers = state.next_period_for(sub, target.unit, svc.settings.tz)
    return sub, orders.OrderSpec(
        sub.workspace_id, current, target, covers, "end_of_term", invoice_type(current, target),
        target.plan.price(target.unit), "",
        await addon_renewals.plan_order_lines(svc, sub, target, covers))
