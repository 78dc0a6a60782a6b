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
from typing import Mapping

from billing.addon_orders import AddonCharge, change_charge, purchase_charge, stop_credit
from billing.addons import (AddonTerms, Holding, allows, check_purchase, check_quantity,
                            effective_limits, entitlements, required_by)
from billing.billing_info import require_complete
from billing.errors import (AddonOneTime, AddonRequiredBy, NextPeriodAlreadyPaid, NotFound,
                            ProratedCreditUnavailable)
from billing.money import Money
from billing.plans import LIMIT_KEYS
from service.runtime import ids
from service.addons import orders as aorders
from service.addons import transitions
from service.addons.catalog import catalog, visible_addon
from service.addons.holdings import (Subscribed, emit_change, holdings_of, plan_order,
                                     post_credits, subscribed, terms_of)
from service.addons.records import AddonOrder, AddonOrderLine
from service.invoices.records import Invoice, Payment
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.subscriptions import orders as sorders
from service.subscriptions import state
from service.subscriptions.plans import load_plans
from service.subscriptions.subscriptions import usage_of


@dataclass(frozen=True)
class AddonPlaced:
    workspace_id: str
    addon_id: str
    quantity: int                # held now (before the invoice is paid)
    order: AddonOrder | None
    invoice: Invoice | None
    payment: Payment | None
    credit: Money | None = None  # credited to the wallet


async def purchase(svc: Services, workspace: Workspace, addon_id: str, quantity: int,
                   now: datetime, seed: str,
                   metadata: Mapping[str, object] | None = None) -> AddonPlaced:
    """`metadata`: the buyer's own small object, stored on the order and shown back."""
    sub, addon, charge = await price_purchase(svc, workspace, addon_id, quantity, now, True)
    return await _order(svc, workspace, sub, addon, "purchase", charge, now, seed, metadata)


async def price_purchase(svc: Services, workspace: Workspace, addon_id: str, quantity: int,
                         now: datetime, require_info: bool = False
                         ) -> tuple[Subscribed, AddonTerms, AddonCharge]:
    """The purchase's one line, as `purchase` orders it (and previews show it)."""
    addon = await visible_addon(svc.db, workspace.reseller_id, addon_id)
    sub = subscribed(await state.load(svc, workspace.id))
    check_purchase(addon, quantity, dict(sub.holdings), await terms_of(svc, sub), sub.plan,
                   sub.unit)
    if require_info:
        require_complete(workspace.billing_info)     # after the checks of what is bought
    return sub, addon, purchase_charge(addon, sub.unit, quantity, sub.period, now,
                                       svc.settings.tz)


async def _drop_open(svc: Services, sub: Subscribed, addon: AddonTerms, target: int | None,
                     now: datetime) -> str | None:
    """Cancel the open purchase or change invoices of a recurring add-on that the latest
    request makes moot. → the seed of one for exactly `target` units (asked again: reuse it)."""
    same = None
    for other in await aorders.open_orders(svc, sub.workspace_id, addon.id):
        if other.action == "renewal" or not addon.recurring:
            continue
        if same is None and other.lines[0].quantity == target and \
                other.period_start == sub.period.start:
            same = other.seed
        else:
            await aorders.cancel(svc, other, now)
    return same


async def _order(svc: Services, workspace: Workspace, sub: Subscribed, addon: AddonTerms,
                 action: str, charge, now: datetime, seed: str,
                 metadata: Mapping[str, object] | None = None) -> AddonPlaced:
    line = AddonOrderLine.of(charge, addon)
    seed = await _drop_open(svc, sub, addon, charge.quantity, now) or seed
    order = AddonOrder.new(ids.addon_order_id(seed), sub.workspace_id, action, sub.unit,
                           sub.period, (line,), seed, now, metadata)
    order, invoice, payment = await aorders.issue(svc, workspace, order, now)
    held = holdings_of(await state.load(svc, sub.workspace_id)).get(addon.id)
    return AddonPlaced(sub.workspace_id, addon.id, held.quantity if held else 0, order, invoice,
                       payment)


@dataclass(frozen=True)
class PricedQuantity:
    """A quantity change as `change_quantity` makes it (and previews show it). `effect`:
    unchanged | invoice (pay `charge`) | now (more units, no more money) | credit (`-charge`
    credited now) | period_end (fewer units from the next period, nothing to credit)."""
    doc: dict
    sub: Subscribed
    holding: Holding
    addon: AddonTerms
    charge: AddonCharge | None
    effect: str


async def price_quantity(svc: Services, workspace: Workspace, addon_id: str, quantity: int,
                         now: datetime) -> PricedQuantity:
    doc = await state.load(svc, workspace.id)
    sub = subscribed(doc)
    holding, addon = await _held(svc, sub, addon_id)
    if not addon.recurring:
        raise AddonOneTime("A one-time add-on has no quantity to change; buy it again",
                           field="addon_id")
    check_quantity(addon, quantity)
    if quantity == holding.quantity:
        return PricedQuantity(doc, sub, holding, addon, None, "unchanged")
    charge = change_charge(addon, sub.unit, holding.quantity, quantity, sub.period, now,
                           svc.settings.tz)
    effect = ("invoice" if charge.amount.amount > 0 else "now" if quantity > holding.quantity
              else "period_end" if addon.currency != "IDR" else "credit")
    if effect == "period_end":               # nothing to credit in rupiah: at the period end
        await _refuse_if_next_paid(svc, sub, addon)
    return PricedQuantity(doc, sub, holding, addon, charge, effect)


async def change_quantity(svc: Services, workspace: Workspace, addon_id: str, quantity: int,
                          now: datetime, seed: str) -> AddonPlaced:
    p = await price_quantity(svc, workspace, addon_id, quantity, now)
    if p.effect == "invoice":
        return await _order(svc, workspace, p.sub, p.addon, "change", p.charge, now, seed)
    if p.effect == "period_end":
        new = Holding(addon_id, p.holding.quantity, quantity)
    else:                                    # unchanged, now (volume brackets), credit
        new = Holding(addon_id, quantity)
    credit = -p.charge.amount if p.effect == "credit" else None
    return await _set(svc, p.doc, p.addon, new, credit, now)


async def price_stop(svc: Services, workspace: Workspace, addon_id: str, when: str,
                     now: datetime) -> tuple[dict, Holding, AddonTerms, Money | None]:
    """A stop as `stop` makes it (and previews show it) → (subscription, holding, add-on,
    the credit of a stop now)."""
    doc = await state.load(svc, workspace.id)
    sub = subscribed(doc)
    holding, addon = await _held(svc, sub, addon_id)
    needed_by = required_by(addon_id, await terms_of(svc, sub))
    if needed_by:
        raise AddonRequiredBy("Other add-ons require this one; stop them first", field="addon_id",
                              details={"required_by": needed_by})
    if when == "end":
        await _refuse_if_next_paid(svc, sub, addon)
        return doc, holding, addon, None
    credit = None
    if addon.recurring:
        if addon.currency != "IDR":
            raise ProratedCreditUnavailable("Only add-ons priced in rupiah can be credited to "
                                            "the wallet; stop it at the period end",
                                            field="when")
        credit = stop_credit(addon, sub.unit, holding.quantity, sub.period, now)
    return doc, holding, addon, credit


async def stop(svc: Services, workspace: Workspace, addon_id: str, when: str,
               now: datetime) -> AddonPlaced:
    doc, holding, addon, credit = await price_stop(svc, workspace, addon_id, when, now)
    new = Holding(addon_id, holding.quantity, 0) if when == "end" else Holding(addon_id, 0)
    return await _set(svc, doc, addon, new, credit, now)


async def keep(svc: Services, workspace: Workspace, addon_id: str,
               now: datetime) -> AddonPlaced:
    """Undo a stop (or a decrease) scheduled for the period end: what PATCH with the quantity
    held does, on the quantity this request reads (a form cannot send a stale one)."""
    doc = await state.load(svc, workspace.id)
    holding, addon = await _held(svc, subscribed(doc), addon_id)
    if not addon.recurring:
        raise AddonOneTime("A one-time add-on has no quantity to change; buy it again",
                           field="addon_id")
    return await _set(svc, doc, addon, Holding(addon_id, holding.quantity), None, now)


async def _held(svc: Services, sub: Subscribed, addon_id: str) -> tuple[Holding, AddonTerms]:
    holding = sub.holdings.get(addon_id)
    addon = (await catalog(svc.db, [addon_id])).get(addon_id) if holding else None
    if holding is None or addon is None:
        raise NotFound("The subscription has no such add-on", field="addon_id")
    return holding, addon


async def _set(svc: Services, doc: dict, addon: AddonTerms, new: Holding,
               credit: Money | None, now: datetime) -> AddonPlaced:
    """Change one holding now (with the wallet credit it earns): one conditional write on the
    holding as `doc` shows it (service/addons/transitions.py)."""
    sub = subscribed(doc)
    ws, old = sub.workspace_id, sub.holdings[addon.id]
    t = transitions.transition(doc, old, new, credit,
                               "addon_decreased" if new.quantity else "addon_stopped")
    credited = await transitions.write(svc, doc, t, now) if new != old else None
    await _drop_open(svc, sub, addon, None, now)
    if new == old:
        return AddonPlaced(ws, addon.id, new.quantity, None, None, None)
    await post_credits(svc, ws, now)
    event = "addon_removed" if new.quantity == 0 else "addon_updated"
    await emit_change(svc, event, ws, addon.id, new.quantity, old.quantity, t.key, now,
                      addon=addon.name, next_quantity=new.next_quantity)
    if new.wanted != old.wanted:
        await _reprice_next_period(svc, subscribed(await state.load(svc, ws)), addon.id, now)
    return AddonPlaced(ws, addon.id, new.quantity, None, None, None, credited)


async def _reprice_next_period(svc: Services, sub: Subscribed, addon_id: str,
                               now: datetime) -> None:
    """Cancel the next period's open renewal invoices that contain the add-on (the billing run
    issues them again); a scheduled plan change's own invoice is left alone."""
    keep = sub.scheduled.order_id if sub.scheduled else None
    for order in map(plan_order, await sorders.orders_for(svc, sub.workspace_id,
                                                          sub.period.end)):
        if order.status in sorders.OPEN and order.id != keep and order.has(addon_id):
            await sorders.cancel_order(svc, order.id, now)
    for renewal in await aorders.renewals_for(svc, sub.workspace_id, sub.period.end):
        if renewal.has(addon_id):
            await aorders.cancel(svc, renewal, now)


async def _refuse_if_next_paid(svc: Services, sub: Subscribed, addon: AddonTerms) -> None:
    """An add-on not priced in rupiah whose next period is paid cannot be credited back."""
    if addon.currency == "IDR":
        return
    for order in await aorders.renewals_for(svc, sub.workspace_id, sub.period.end):
        if order.status == "paid" and order.has(addon.id):
            raise NextPeriodAlreadyPaid("The next period of this add-on is already paid",
                                        field="addon_id")


async def check_entitlement(svc: Services, workspace_id: str, key: str, amount: int) -> dict:
    """May the workspace use `amount` more of `key` (a limit) or use feature `key`?"""
    sub = subscribed(await state.load(svc, workspace_id))
    held = await terms_of(svc, sub)
    pairs = [(held[a], h.quantity) for a, h in sub.holdings.items() if a in held]
    if key not in LIMIT_KEYS:
        return {"key": key, "kind": "feature", "allowed": key in entitlements(pairs),
                "limit": None, "used": None}
    plan = (await load_plans(svc.db))[sub.plan]
    limit = effective_limits(plan.limits, pairs)[key]
    used = (await usage_of(svc, workspace_id, sub.period))[key]
    return {"key": key, "kind": "limit", "allowed": allows(limit, used, amount),
            "limit": limit, "used": used}
