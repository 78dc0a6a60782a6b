"""The add-ons a subscription holds, kept in the subscription document itself so that they
change atomically with its period, plan and version (service/subscriptions/state.py):

    addons: {<addon id>: {quantity, next_quantity, added_at, rev}}
        next_quantity: None = renews as is, 0 = stops at the period end, n = n from then on
        rev: the subscription `version` that last changed the holding (never reused, also
             when an add-on is stopped and bought again): a change is computed from and
             written on (quantity, rev) (service/addons/transitions.py)
    addon_changes: {<addon id>: {key, next_quantity, credit}}   its last change (replays)
    addon_credits: [{key, balance, amount, meta}]   wallet credits owed, not yet posted
    addon_orders_applied: [order ids]               the last add-on orders applied (guard)

Wallet credits (a prorated stop or decrease, an overpaid renewal) are written into
`addon_credits` by the same versioned replace that changes the holdings, then posted to the
ledger (idempotent by key; arrears first) and dropped from the document. A crash in between
leaves them in the document: the billing run posts them on its next pass (`post_credits`).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from billing.addons import AddonTerms, Holding
from billing.money import Money
from billing.wallet import LedgerIntent
from service.addons.catalog import catalog
from service.mongo.events import emit
from service.runtime.context import Services
from service.subscriptions import state
from service.subscriptions.records import (AddonCredit, HeldAddon, HoldingEntry,
                                           SubscriptionState)

CREDIT_BALANCE = "conversation"     # the wallet's purchased conversation credit
APPLIED_KEPT = 50


def holdings_of(doc: SubscriptionState) -> dict[str, Holding]:
    return {a: Holding(a, h.quantity, h.next_quantity) for a, h in doc.addons.items()}


def holding_rev(doc: SubscriptionState, addon_id: str) -> int:
    held = doc.addons.get(addon_id)
    return held.rev if held else 0


def holdings_doc(holdings: dict[str, Holding], doc: SubscriptionState,
                 now: datetime) -> dict[str, HoldingEntry]:
    """The `addons` of `doc`'s next version (state.save): a changed holding gets that version
    as its `rev`, an unchanged one keeps its own."""
    out = {}
    for a, h in sorted(holdings.items()):
        was = doc.addons.get(a)
        same = was is not None and (was.quantity, was.next_quantity) == (h.quantity,
                                                                         h.next_quantity)
        if h.quantity > 0:
            out[a] = HoldingEntry(h.quantity, h.next_quantity, (was and was.added_at) or now,
                                  holding_rev(doc, a) if same else (doc.version or 0) + 1)
    return out


def priced_on(holdings: dict[str, Holding], line: dict) -> bool:
    """Is the add-on of an order line (service/addon_orders.line_doc) held in the quantity the
    line was priced on? A recurring line for `quantity` units with `change` applies only on
    `quantity - change` held (anything else: a concurrent change came first)."""
    held = holdings.get(line["addon_id"])
    return line["billing"] != "recurring" or (
        held.quantity if held else 0) == line["quantity"] - line["change"]


async def held_terms(svc: Services, doc: SubscriptionState,
                     extra: Iterable[str] = ()) -> dict[str, AddonTerms]:
    return await catalog(svc.db, [*doc.addons, *extra])


def credit_doc(key: str, amount: Money, meta: dict) -> AddonCredit:
    return AddonCredit(key, CREDIT_BALANCE, amount, meta)


async def post_credits(svc: Services, workspace_id: str, now: datetime) -> None:
    """Post the wallet credits the subscription owes, then forget them (both idempotent)."""
    pending = (await state.load(svc, workspace_id)).addon_credits
    if not pending:
        return
    await svc.ledger.post(workspace_id, [
        LedgerIntent(c.key, "addon_credit", c.balance, c.amount, dict(c.meta))
        for c in pending], now)
    await state.forget_credits(svc, workspace_id, sorted({c.key for c in pending}))


async def emit_change(svc: Services, event: str, workspace_id: str, addon_id: str,
                      quantity: int, previous: int, key: str, now: datetime, **extra) -> None:
    """subscription.addon_added | addon_updated | addon_removed, once per `key`."""
    data = {"subscription": workspace_id, "addon_id": addon_id, "quantity": quantity,
            "previous_quantity": previous, **extra}
    await emit(svc.db, f"subscription.{event}", workspace_id, workspace_id, data, now,
               key=f"{addon_id}:{key}")


def holdings_view(doc: SubscriptionState,
                  terms: dict[str, AddonTerms]) -> tuple[HeldAddon, ...]:
    """The held add-ons as GET …/subscription shows them."""
    out = []
    for addon_id, item in sorted(doc.addons.items()):
        addon = terms.get(addon_id)
        out.append(HeldAddon(addon_id, addon.name if addon else None,
                             addon.display_name if addon else None,
                             addon.type if addon else None, addon.billing if addon else None,
                             item.quantity, item.next_quantity, item.added_at))
    return tuple(out)
