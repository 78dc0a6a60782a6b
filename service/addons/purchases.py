"""Buying and managing a subscription's add-ons (the workspace, its reseller or the admin):
purchase, change the quantity, stop; the entitlement check.

* Purchase → an `addon` invoice (recurring: prorated to the period end; one-time: full price),
  applied when paid (service/addons/orders.py). An open purchase or change of the same add-on
  for the same target is returned again; one for another target is cancelled first.
* Quantity up → an invoice for the prorated difference, applied when paid. Quantity down →
  applied now, and the prorated difference is credited to the wallet's purchased conversation
  balance (rupiah-priced add-ons). An add-on priced in another currency cannot be credited to
  the rupiah wallet, so its decrease takes effect at the period end instead (nothing to credit).
* Stop → at the period end by default (it is not renewed); `now` removes it at once with the
  prorated rest credited to the wallet (rupiah-priced add-ons only; 422 otherwise).
* A change made now is one conditional write on the holding it was computed from, its credit
  keyed by the transition (service/addons/transitions.py): a concurrent loser gets 409
  `holding_changed` or, if it asked for the same transition, the winner's answer.
A change for the next period cancels the next period's open renewal invoices that contain the
add-on (the billing run issues them again, right); a paid one that overpays it is credited at
the boundary (service/addons/renewals.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.addon_orders import change_charge, purchase_charge, stop_credit
from billing.addons import (AddonTerms, Holding, allows, check_purchase, check_quantity,
                            effective_limits, entitlements, required_by)
from billing.errors import (AddonOneTime, AddonRequiredBy, NextPeriodAlreadyPaid, NotFound,
                            ProratedCreditUnavailable)
from billing.money import Money
from billing.plans import LIMIT_KEYS
from service.runtime import ids
from service.addons import orders as aorders
from service.addons import transitions
from service.addons.catalog import catalog, visible_addon
from service.addons.holdings import emit_change, held_terms, holdings_of, post_credits
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.subscriptions import orders as sorders
from service.subscriptions import state
from service.subscriptions.plans import load_plans
from service.subscriptions.records import SubscriptionState
from service.subscriptions.subscriptions import usage_of


@dataclass(frozen=True)
class AddonPlaced:
    workspace_id: str
    addon_id: str
    quantity: int                # held now (before the invoice is paid)
    order: dict | None
    invoice: dict | None
    payment: dict | None
    credit: Money | None = None  # credited to the wallet


async def purchase(svc: Services, workspace: Workspace, addon_id: str, quantity: int,
                   now: datetime, seed: str) -> AddonPlaced:
    addon = await visible_addon(svc.db, workspace.reseller_id, addon_id)
    doc = await state.load(svc, workspace.id)
    holdings = holdings_of(doc)
    check_purchase(addon, quantity, holdings, await held_terms(svc, doc), doc.plan,
                   doc.period)
    charge = purchase_charge(addon, doc.period, quantity, state.period_of(doc), now,
                             svc.settings.tz)
    return await _order(svc, workspace, doc, addon, "purchase", charge, now, seed)


async def _drop_open(svc: Services, doc: SubscriptionState, addon: AddonTerms, target: int | None,
                     now: datetime) -> str | None:
    """Cancel the open purchase or change invoices of a recurring add-on that the latest
    request makes moot. → the seed of one for exactly `target` units (asked again: reuse it)."""
    same = None
    for other in await aorders.open_orders(svc, doc.workspace_id, addon.id):
        if other["action"] == "renewal" or not addon.recurring:
            continue
        if same is None and other["lines"][0]["quantity"] == target and \
                other["period_start"] == doc.current.start:
            same = other["seed"]
        else:
            await aorders.cancel(svc, other, now)
    return same


async def _order(svc: Services, workspace: Workspace, doc: SubscriptionState, addon: AddonTerms,
                 action: str, charge, now: datetime, seed: str) -> AddonPlaced:
    line = aorders.line_doc(charge, addon)
    seed = await _drop_open(svc, doc, addon, charge.quantity, now) or seed
    period = state.period_of(doc)
    order = aorders.order_doc(ids.addon_order_id(seed), doc.workspace_id, action, doc.period,
                              period.start, period.end, [line], seed, now)
    order, invoice, payment = await aorders.issue(svc, workspace, order, now)
    held = holdings_of(await state.load(svc, doc.workspace_id)).get(addon.id)
    return AddonPlaced(doc.workspace_id, addon.id, held.quantity if held else 0, order, invoice,
                       payment)


async def change_quantity(svc: Services, workspace: Workspace, addon_id: str, quantity: int,
                          now: datetime, seed: str) -> AddonPlaced:
    doc = await state.load(svc, workspace.id)
    holding, addon = await _held(svc, doc, addon_id)
    if not addon.recurring:
        raise AddonOneTime("A one-time add-on has no quantity to change; buy it again",
                           field="addon_id")
    check_quantity(addon, quantity)
    if quantity == holding.quantity:
        return await _set(svc, doc, addon, Holding(addon_id, quantity), None, now)
    charge = change_charge(addon, doc.period, holding.quantity, quantity,
                           state.period_of(doc), now, svc.settings.tz)
    if charge.amount.amount > 0:
        return await _order(svc, workspace, doc, addon, "change", charge, now, seed)
    if quantity > holding.quantity:         # more units for no more money (volume brackets)
        return await _set(svc, doc, addon, Holding(addon_id, quantity), None, now)
    if addon.currency != "IDR":             # nothing to credit in rupiah: at the period end
        await _refuse_if_next_paid(svc, doc, addon)
        return await _set(svc, doc, addon, Holding(addon_id, holding.quantity, quantity),
                          None, now)
    return await _set(svc, doc, addon, Holding(addon_id, quantity), -charge.amount, now)


async def stop(svc: Services, workspace: Workspace, addon_id: str, when: str,
               now: datetime) -> AddonPlaced:
    doc = await state.load(svc, workspace.id)
    holding, addon = await _held(svc, doc, addon_id)
    needed_by = required_by(addon_id, await held_terms(svc, doc))
    if needed_by:
        raise AddonRequiredBy("Other add-ons require this one; stop them first", field="addon_id",
                              details={"required_by": needed_by})
    if when == "end":
        await _refuse_if_next_paid(svc, doc, addon)
        return await _set(svc, doc, addon, Holding(addon_id, holding.quantity, 0), None, now)
    credit = None
    if addon.recurring:
        if addon.currency != "IDR":
            raise ProratedCreditUnavailable("Only add-ons priced in rupiah can be credited to "
                                            "the wallet; stop it at the period end",
                                            field="when")
        credit = stop_credit(addon, doc.period, holding.quantity, state.period_of(doc), now)
    return await _set(svc, doc, addon, Holding(addon_id, 0), credit, now)


async def _held(svc: Services, doc: SubscriptionState,
                addon_id: str) -> tuple[Holding, AddonTerms]:
    holding = holdings_of(doc).get(addon_id)
    addon = (await catalog(svc.db, [addon_id])).get(addon_id) if holding else None
    if holding is None or addon is None:
        raise NotFound("The subscription has no such add-on", field="addon_id")
    return holding, addon


async def _set(svc: Services, doc: SubscriptionState, addon: AddonTerms, new: Holding,
               credit: Money | None, now: datetime) -> AddonPlaced:
    """Change one holding now (with the wallet credit it earns): one conditional write on the
    holding as `doc` shows it (service/addons/transitions.py)."""
    ws, old = doc.workspace_id, holdings_of(doc)[addon.id]
    t = transitions.transition(doc, old, new, credit,
                               "addon_decreased" if new.quantity else "addon_stopped")
    credited = await transitions.write(svc, doc, t, now) if new != old else None
    await _drop_open(svc, doc, addon, None, now)
    if new == old:
        return AddonPlaced(ws, addon.id, new.quantity, None, None, None)
    await post_credits(svc, ws, now)
    event = "addon_removed" if new.quantity == 0 else "addon_updated"
    await emit_change(svc, event, ws, addon.id, new.quantity, old.quantity, t.key, now,
                      addon=addon.name, next_quantity=new.next_quantity)
    if new.wanted != old.wanted:
        await _reprice_next_period(svc, await state.load(svc, ws), addon.id, now)
    return AddonPlaced(ws, addon.id, new.quantity, None, None, None, credited)


async def _reprice_next_period(svc: Services, doc: SubscriptionState, addon_id: str,
                               now: datetime) -> None:
    """Cancel the next period's open renewal invoices that contain the add-on (the billing run
    issues them again); a scheduled plan change's own invoice is left alone."""
    keep = doc.scheduled_change and doc.scheduled_change.order_id
    for order in await sorders.orders_for(svc, doc.workspace_id, doc.current.end):
        if order.status in sorders.OPEN and order.id != keep and any(
                a["addon_id"] == addon_id for a in order.addons):
            await sorders.cancel_order(svc, order.id, now)
    for order in await aorders.renewals_for(svc, doc.workspace_id, doc.current.end):
        if any(line["addon_id"] == addon_id for line in order["lines"]):
            await aorders.cancel(svc, order, now)


async def _refuse_if_next_paid(svc: Services, doc: SubscriptionState, addon: AddonTerms) -> None:
    """An add-on not priced in rupiah whose next period is paid cannot be credited back."""
    if addon.currency == "IDR":
        return
    for order in await aorders.renewals_for(svc, doc.workspace_id, doc.current.end):
        if order["status"] == "paid" and any(l["addon_id"] == addon.id for l in order["lines"]):
            raise NextPeriodAlreadyPaid("The next period of this add-on is already paid",
                                        field="addon_id")


async def check_entitlement(svc: Services, workspace_id: str, key: str, amount: int) -> dict:
    """May the workspace use `amount` more of `key` (a limit) or use feature `key`?"""
    doc = await state.load(svc, workspace_id)
    held = await held_terms(svc, doc)
    pairs = [(held[a], h.quantity) for a, h in holdings_of(doc).items() if a in held]
    if key not in LIMIT_KEYS:
        return {"key": key, "kind": "feature", "allowed": key in entitlements(pairs),
                "limit": None, "used": None}
    plan = (await load_plans(svc.db))[doc.plan]
    limit = effective_limits(plan.limits, pairs)[key]
    used = (await usage_of(svc, workspace_id, state.period_of(doc)))[key]
    return {"key": key, "kind": "limit", "allowed": allows(limit, used, amount),
            "limit": limit, "used": used}
