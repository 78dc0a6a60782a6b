"""Recurring add-ons renew with the subscription, through the billing run.

* The next period's plan invoice (renewal, or a scheduled change's invoice) carries one line per
  recurring add-on wanted in that period and priced in the plan's currency (`plan_order_lines`;
  stored in the plan order's `addons`).
* Whatever no next-period order covers yet (add-ons in another currency, add-ons on a free plan,
  add-ons bought or increased after the plan invoice was issued) gets an add-on renewal invoice
  of its own, one per currency, from the same lead time on (`issue_due`, called by the run).
  A renewal order whose invoice could not be placed (no provider, a crash) stays `new`, counts
  as coverage for nothing, and is placed again by the next pass (`redrive`).
* An end-of-term plan change places the add-on invoices of the other currencies itself, with
  its plan invoice (`other_currency_charges`, `place_other_currencies`): the quote and the
  change show every line, and the run finds them already invoiced.
* At the boundary (`rollover_changes`, inside the run's versioned roll-over) each recurring
  add-on keeps min(wanted, paid for the new period) units, counted after the open renewal
  invoices were cancelled (`settle_renewals`: one paid meanwhile is settled first, so it
  counts); unpaid ones are removed; add-ons the new plan or period does not allow are removed
  at the switch; units paid beyond what is wanted (a stop after the renewal was paid) are credited
  to the wallet (rupiah-priced add-ons), once: key `addon_excess:<ws>:<period start>:<addon>`.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime, tzinfo

from billing import ledger_keys
from billing.addon_orders import AddonCharge, Rolled, next_quantities, renewal_charge, roll
from billing.addons import AddonTerms, Holding
from billing.money import Money
from billing.periods import Period
from billing.plans import PlanTerms
from billing.subscriptions import Choice, Rollover
from service.addons import orders as aorders
from service.addons.holdings import (Credit, Subscribed, changes, emit_change, plan_order,
                                     post_credits, subscribed, terms_of)
from service.addons.records import AddonOrder, AddonOrderLine
from service.addons.repository import lines_from_docs
from service.subscriptions import orders as sorders
from service.subscriptions import state
from service.runtime import ids
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.workspaces.lookup import workspace_by_id

log = logging.getLogger("saldo.addons")


def _scheduled(doc: dict, plans: dict[str, PlanTerms]) -> tuple[Choice, Mapping | None]:
    """The plan choice of the next period and the add-on quantities its change asks for."""
    choice = state.scheduled_choice(doc, plans)
    if choice is None:
        return state.current_choice(doc, plans), None
    return choice, subscribed(doc).scheduled_addons


async def coverage(svc: Services, workspace_id: str, start: datetime, target: Choice,
                   paid_only: bool, plan_orders: bool = True) -> Counter:
    """Units per add-on on the orders for the period starting at `start` on `target`: paid
    ones, or every one with an invoice. A `new` order never got its invoice (placing failed or
    its issuer died): it covers nothing until `redrive` places it."""
    statuses = ("paid",) if paid_only else ("pending", "paid")
    units: Counter = Counter()
    orders = await sorders.orders_for(svc, workspace_id, start) if plan_orders else []
    for order in map(plan_order, orders):
        if (order.plan, order.unit) == target.key and order.status in statuses:
            units.update({a.addon_id: a.units for a in order.addons})
    for renewal in await aorders.renewals_for(svc, workspace_id, start):
        if renewal.unit == target.unit and renewal.status in statuses:
            units.update({a.addon_id: a.units for a in renewal.lines})
    return units


async def _wanted(svc: Services, sub: Subscribed, target: Choice,
                  scheduled: Mapping | None) -> tuple[dict[str, int], dict[str, AddonTerms]]:
    terms = await terms_of(svc, sub, scheduled or {})
    wanted, _ = next_quantities(dict(sub.holdings), scheduled, terms, target.plan.id,
                                target.unit)
    return {a: q for a, q in wanted.items() if terms[a].recurring}, terms


def _charges(wanted: dict[str, int], ordered: Counter, terms: dict[str, AddonTerms],
             target: Choice, covers: Period, holdings: Mapping[str, Holding],
             tz: tzinfo) -> list[tuple[AddonCharge, AddonTerms]]:
    out = []
    for addon_id, quantity in sorted(wanted.items()):
        if quantity > ordered[addon_id]:
            held = holdings.get(addon_id)
            out.append((renewal_charge(terms[addon_id], target.unit, quantity,
                                       ordered[addon_id], covers, held.quantity if held else 0,
                                       tz),
                        terms[addon_id]))
    return out


async def plan_order_charges(svc: Services, doc: dict, target: Choice, scheduled: dict | None,
                             covers: Period) -> list[tuple[AddonCharge, AddonTerms]]:
    """The add-on lines of the plan invoice for `covers` (add-ons in the plan's currency, less
    what add-on renewal invoices of that period already cover: one that expires unpaid is
    issued again by the run, so nothing is invoiced twice)."""
    sub = subscribed(doc)
    if not sub.holdings and not scheduled:
        return []
    wanted, terms = await _wanted(svc, sub, target, scheduled)
    currency = target.plan.price(target.unit).currency
    wanted = {a: q for a, q in wanted.items() if terms[a].currency == currency}
    other = await coverage(svc, sub.workspace_id, covers.start, target, False,
                           plan_orders=False)
    return _charges(wanted, other, terms, target, covers, sub.holdings, svc.settings.tz)


async def plan_order_lines(svc: Services, doc: dict, target: Choice,
                           covers: Period) -> tuple[dict, ...]:
    """The add-on lines (documents) of the next period's plan invoice for `target`."""
    change = subscribed(doc).scheduled
    scheduled = change.addons if change and change.timing == "end_of_term" and (
        change.plan, change.unit) == target.key else None
    pairs = await plan_order_charges(svc, doc, target, scheduled, covers)
    return tuple(aorders.line_doc(c, a) for c, a in pairs)


async def issue_due(svc: Services, doc: dict, plans: dict[str, PlanTerms], now: datetime,
                    until: datetime) -> datetime:
    """Invoice the next period's add-ons that no order covers yet, from the renewal lead time
    on. → when the run should look again."""
    target, scheduled = _scheduled(doc, plans)
    sub = subscribed(doc)
    if not sub.holdings and not scheduled:
        return until
    issue_from = sub.period.end - svc.settings.renewal_lead
    if now < issue_from:
        return min(until, issue_from)
    workspace = await workspace_by_id(svc, sub.workspace_id)
    covers = state.next_period_for(doc, target.unit, svc.settings.tz)
    await redrive(svc, workspace, covers.start, target.unit, now)
    wanted, terms = await _wanted(svc, sub, target, scheduled)
    live = await coverage(svc, sub.workspace_id, covers.start, target, paid_only=False)
    by_currency: dict[str, list[AddonOrderLine]] = defaultdict(list)
    for charge, addon in _charges(wanted, live, terms, target, covers, sub.holdings,
                                  svc.settings.tz):
        by_currency[addon.currency].append(AddonOrderLine.of(charge, addon))
    earlier = await aorders.renewals_for(svc, sub.workspace_id, covers.start) \
        if by_currency else []
    for _, lines in sorted(by_currency.items()):
        order = await _new_renewal(svc, sub, target, covers, tuple(lines), earlier, now)
        await aorders.issue(svc, workspace, order, now)
    return until


async def redrive(svc: Services, workspace: Workspace, start: datetime, unit: str,
                  now: datetime) -> None:
    """Place the invoices of the renewal orders for the period starting at `start` that were
    left `new` (as the run re-drives plan orders): same order, same seed, so nothing is
    invoiced twice. A failure raises: the pass logs it and the next pass tries again. A `new`
    order for another period unit is moot: cancelled."""
    for order in await aorders.renewals_for(svc, workspace.id, start):
        if order.status != "new":
            continue
        if order.unit == unit:
            await aorders.place(svc, workspace, order, now)
        else:
            await aorders.cancel(svc, order, now)


async def other_currency_charges(svc: Services, doc: dict, target: Choice,
                                 scheduled: dict | None,
                                 covers: Period) -> list[tuple[AddonCharge, AddonTerms]]:
    """The lines of an end-of-term change for the add-ons its plan invoice cannot carry (priced
    in another currency): every wanted unit that no paid order of `covers` pays for. Open
    orders do not count: the change places its own (`place_other_currencies`)."""
    sub = subscribed(doc)
    if not sub.holdings and not scheduled:
        return []
    wanted, terms = await _wanted(svc, sub, target, scheduled)
    currency = target.plan.price(target.unit).currency
    wanted = {a: q for a, q in wanted.items() if terms[a].currency != currency}
    if not wanted:
        return []
    paid = await coverage(svc, sub.workspace_id, covers.start, target, paid_only=True)
    return _charges(wanted, paid, terms, target, covers, sub.holdings, svc.settings.tz)


async def place_other_currencies(svc: Services, workspace: Workspace, doc: dict, target: Choice,
                                 covers: Period, lines: dict[str, list[dict]],
                                 now: datetime) -> list[tuple[dict, dict | None]]:
    """Place a change's add-on invoice in each other currency, together with its plan invoice:
    an open order of `covers` with exactly those lines is kept (a retry, or a concurrent
    request), every other open one in those currencies is cancelled (the new change replaces
    it). → [(invoice, payment)]."""
    plan_currency = target.plan.price(target.unit).currency
    sub = subscribed(doc)
    every = await aorders.renewals_for(svc, sub.workspace_id, covers.start)
    live = [o for o in every if o.is_open and o.currency != plan_currency]
    placed = []
    for currency in sorted(set(lines) | {o.currency for o in live}):
        wanted, kept = lines_from_docs(lines.get(currency)), None
        for order in (o for o in live if o.currency == currency):
            if kept is None and wanted and order.lines == wanted and \
                    order.unit == target.unit:
                kept = order
            else:
                await aorders.cancel(svc, order, now)
        if wanted:
            kept = kept or await _new_renewal(svc, sub, target, covers, wanted, every, now)
            _, invoice, payment = await aorders.issue(svc, workspace, kept, now)
            if invoice:
                placed.append((invoice, payment))
    return placed


async def _new_renewal(svc: Services, sub: Subscribed, target: Choice, covers: Period,
                       lines: tuple[AddonOrderLine, ...], earlier: list[AddonOrder],
                       now: datetime) -> AddonOrder:
    """The next renewal order of `covers` in the lines' currency, numbered after the `earlier`
    ones (so two workers issuing the same lines meet on one id); an id another request took
    meanwhile for other lines is skipped."""
    currency = lines[0].amount.currency
    n = sum(1 for o in earlier if o.currency == currency)
    while True:
        order_id = f"addon_renewal:{sub.workspace_id}:{covers.start.isoformat()}:{currency}:{n}"
        taken = await aorders.get(svc, order_id)
        if taken is None or (taken.lines == lines and taken.status != "closed"):
            return taken or AddonOrder.new(order_id, sub.workspace_id, "renewal", target.unit,
                                           covers, lines, ids.new_seed(now), now)
        n += 1


async def cancel_open_renewals(svc: Services, workspace_id: str, start: datetime,
                               now: datetime) -> None:
    """An undone change: its open add-on invoices for the period from `start` are cancelled
    (the billing run invoices what the current plan needs, from the lead time on); one paid
    meanwhile is settled, not lost."""
    for order in await aorders.renewals_for(svc, workspace_id, start):
        await aorders.close_or_settle(svc, order, now)


async def settle_renewals(svc: Services, workspace_id: str, start: datetime,
                          now: datetime) -> None:
    """First make the new period's open add-on renewals unpayable (or settle those paid
    meanwhile), then count what is paid: no payment lands between the count and the roll."""
    for order in await aorders.renewals_for(svc, workspace_id, start):
        await aorders.close_or_settle(svc, order, now)


async def rollover_changes(svc: Services, doc: dict, step: Rollover,
                           now: datetime) -> tuple[dict, Rolled]:
    """The subscription changes of the add-ons at the boundary `step` crosses."""
    sub = subscribed(doc)
    scheduled = sub.scheduled_addons if step.reason == "changed" else None
    if not sub.holdings and not scheduled:
        return {}, Rolled({})
    holdings = dict(sub.holdings)
    terms = await terms_of(svc, sub, scheduled or {})
    target = step.target
    wanted, removed = next_quantities(holdings, scheduled, terms, target.plan.id, target.unit)
    paid = await coverage(svc, sub.workspace_id, step.period.start, target, paid_only=True)
    rolled = roll(holdings, wanted, removed, paid, terms)
    credits = []
    for addon_id, (covered, kept) in sorted(rolled.excess.items()):
        addon = terms.get(addon_id)
        if addon is None or addon.currency != "IDR":   # not creditable to the rupiah wallet
            log.warning("paid add-on renewal exceeds what is kept; refund it", extra={
                "fields": {"workspace_id": sub.workspace_id, "addon_id": addon_id,
                           "paid_units": covered, "kept_units": kept}})
            continue
        amount = addon.price(target.unit, covered) - (
            addon.price(target.unit, kept) if kept else Money.zero(addon.currency))
        if amount.amount > 0:
            credits.append(Credit(
                ledger_keys.addon_excess(sub.workspace_id, step.period.start, addon_id),
                amount, {"addon_id": addon_id, "reason": "addon_renewal_overpaid",
                         "paid_units": covered, "kept_units": kept}))
    return changes(sub, rolled.holdings, now, credits=credits), rolled


async def after_rollover(svc: Services, doc: dict, step: Rollover, rolled: Rolled,
                         now: datetime) -> None:
    """After the roll-over was saved: events, moot renewal invoices cancelled, credits posted."""
    key, ws = f"boundary:{step.period.start.isoformat()}", subscribed(doc).workspace_id
    for removal in rolled.removed:
        await emit_change(svc, "addon_removed", ws, removal.addon_id, 0,
                          removal.quantity, key, now, reason=removal.reason)
    for order in await aorders.renewals_for(svc, ws, step.period.start):
        await aorders.cancel(svc, order, now)
    if rolled.excess:       # else this roll owed none (credits owed before it, or added by a
        await post_credits(svc, ws, now)   # use case since, the billing run's next read posts)
