"""Add-ons in a plan change (`POST …/subscription/quote|change` with `addons`).

The body's `addons` [{addon_id, quantity}] are the quantities wanted after the switch for the
add-ons listed (new ones are added); every other held add-on carries over as it is, except
those the new plan or period does not allow: they are removed at the switch and listed in the
quote (`removed_addons`). Listed add-ons must be visible to the workspace, recurring (one-time
add-ons are bought on their own), applicable to the new plan and sold in its period, within
their quantity rules and compatible with everything held after the switch.

* End-of-term change: the change's invoice carries the next period's add-on lines (full price
  of each wanted quantity; service/addons/renewals.py); the quantities apply at the boundary.
* Immediate upgrade: the invoice carries the prorated price of each increase for the rest of
  the period; when it is paid (`immediate_switch`, inside the upgrade's versioned write) the
  increases apply, decreases apply from the period end, and add-ons the new plan does not allow
  are removed with the prorated rest of a rupiah-priced one credited to the wallet.
"""
from __future__ import annotations

import logging
from datetime import datetime

from billing.addon_orders import (AddonCharge, Removal, change_charge, next_quantities,
                                  purchase_charge, removal_reason, stop_credit)
from billing.addons import (AddonTerms, Holding, check_buyable, check_combination,
                            check_quantity, effective_limits)
from billing.errors import (AddonCurrencyMismatch, AddonNotApplicable, AddonOneTime,
                            AddonPeriodNotAvailable, NotFound, UnknownAddon, ValidationFailed)
from billing.plans import PlanTerms
from billing.subscriptions import Choice
from service.addons.holdings import (Credit, changes, emit_change, plan_order, subscribed,
                                     terms_of)
from service.addons.catalog import visible_addon
from service.addons.transitions import transition
from service.runtime.context import Services
from service.workspaces.records import Workspace

log = logging.getLogger("saldo.addons")
# billing.addon_orders.removal_reason of an add-on still in the catalog → its error
_REASON = {"not_applicable": AddonNotApplicable, "period_not_available": AddonPeriodNotAvailable}


async def check_requested(svc: Services, workspace: Workspace, doc: dict, target: Choice,
                          requested: list[tuple[str, int]]) -> dict[str, int]:
    """The validated `addons` of a change body, as {addon id: quantity}."""
    sub = subscribed(doc)
    holdings = sub.holdings
    wanted: dict[str, int] = {}
    found: dict[str, AddonTerms] = {}
    for i, (addon_id, quantity) in enumerate(requested):
        field = f"addons.{i}"
        if addon_id in wanted:
            raise ValidationFailed("An add-on is listed twice", field=f"{field}.addon_id")
        try:
            addon = await visible_addon(svc.db, workspace.reseller_id, addon_id)
        except NotFound:           # unknown or hidden alike: never reveal
            raise UnknownAddon(f"Unknown add-on {addon_id!r}",
                               field=f"{field}.addon_id") from None
        reason = removal_reason(addon, target.plan.id, target.unit)
        if addon_id not in holdings:
            check_buyable(addon, target.plan.id, target.unit, f"{field}.addon_id")
        elif reason:            # addon_not_applicable | addon_period_not_available
            raise _REASON[reason](f"Add-on {addon.name!r} is not available on "
                                  f"{target.plan.id} ({target.unit})", field=f"{field}.addon_id")
        if not addon.recurring:
            raise AddonOneTime("One-time add-ons are bought on their own",
                               field=f"{field}.addon_id")
        check_quantity(addon, quantity, f"{field}.quantity")
        wanted[addon_id], found[addon_id] = quantity, addon
    if wanted:
        held = await terms_of(svc, sub, wanted)
        keep, _ = next_quantities(dict(holdings), wanted, held, target.plan.id, target.unit)
        for i, addon_id in enumerate(wanted):
            check_combination(found[addon_id], {a: held[a] for a in keep if a != addon_id},
                              f"addons.{i}.addon_id")
    return wanted


async def at_switch(svc: Services, doc: dict, current: PlanTerms, target: Choice,
                    wanted: dict[str, int]
                    ) -> tuple[list[Removal], tuple[dict[str, int], dict[str, int]]]:
    """The held add-ons removed at the switch to `target` (each with its reason), and the
    effective limits (plan plus add-ons) now and after the switch, with the add-ons that stay."""
    sub = subscribed(doc)
    holdings, held = dict(sub.holdings), await terms_of(svc, sub, wanted)
    keep, removed = next_quantities(holdings, wanted, held, target.plan.id, target.unit)
    before = effective_limits(current.limits, [(held[a], h.quantity)
                                               for a, h in holdings.items() if a in held])
    after = effective_limits(target.plan.limits, [(held[a], q) for a, q in keep.items()])
    return removed, (before, after)


async def immediate_charges(svc: Services, doc: dict, wanted: dict[str, int], currency: str,
                            now: datetime) -> list[tuple[AddonCharge, AddonTerms]]:
    """The prorated increases of an immediate upgrade (decreases apply at the period end)."""
    sub = subscribed(doc)
    holdings, held = sub.holdings, await terms_of(svc, sub, wanted)
    out = []
    for addon_id, quantity in sorted(wanted.items()):
        addon, current = held[addon_id], holdings.get(addon_id)
        if addon.currency != currency:
            raise AddonCurrencyMismatch(f"Add-on {addon.name!r} is priced in {addon.currency}; an "
                                   f"immediate change is invoiced in {currency}: buy it on "
                                   "its own", field="addons")
        if current is None:
            out.append((purchase_charge(addon, sub.unit, quantity, sub.period, now,
                                        svc.settings.tz), addon))
        elif quantity > current.quantity:
            out.append((change_charge(addon, sub.unit, current.quantity, quantity,
                                      sub.period, now, svc.settings.tz), addon))
    return out


async def immediate_switch(svc: Services, doc: dict, order: dict,
                           now: datetime) -> tuple[dict, list[Removal], list[str]]:
    """The add-on part of applying a paid immediate upgrade (the plan order `order`) to `doc`
    (same write). → the changes, the add-ons removed, the add-ons whose order line applies."""
    sub, upgrade = subscribed(doc), plan_order(order)
    wanted = sub.scheduled_addons or {}
    holdings = sub.holdings
    if not holdings and not wanted:
        return {}, [], []
    held = await terms_of(svc, sub, wanted)
    removed = [Removal(a, h.quantity, reason) for a, h in sorted(holdings.items())
               if (reason := removal_reason(held.get(a), upgrade.plan, upgrade.unit))]
    new = {a: h for a, h in holdings.items() if a not in {r.addon_id for r in removed}}
    taken = []                   # the order's add-on lines that apply
    for line in upgrade.addons:
        if line.priced_on(holdings.get(line.addon_id)):
            new[line.addon_id] = Holding(line.addon_id, line.quantity)
            taken.append(line.addon_id)
        else:
            log.warning("paid upgrade's add-on line was priced on a quantity the add-on no "
                        "longer has; refund it", extra={"fields": {
                            "order_id": upgrade.id, "addon_id": line.addon_id}})
    for addon_id, quantity in wanted.items():
        if addon_id in new and quantity < new[addon_id].quantity:
            new[addon_id] = Holding(addon_id, new[addon_id].quantity, quantity)
    credits = []
    for removal in removed:
        addon = held.get(removal.addon_id)
        if addon and addon.recurring and addon.currency == "IDR":
            credit = stop_credit(addon, sub.unit, removal.quantity, sub.period, now)
            gone = transition(doc, holdings[removal.addon_id], Holding(removal.addon_id, 0))
            if credit.amount > 0:
                credits.append(Credit(gone.key, credit, {
                    "addon_id": removal.addon_id, "reason": "addon_removed_at_switch",
                    "order_id": upgrade.id}))
    return changes(sub, new, now, credits=credits), removed, taken


async def after_switch(svc: Services, workspace_id: str, removed: list[Removal], key: str,
                       now: datetime) -> None:
    for removal in removed:
        await emit_change(svc, "addon_removed", workspace_id, removal.addon_id, 0,
                          removal.quantity, key, now, reason=removal.reason)
