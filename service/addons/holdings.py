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
from service.subscriptions.records import HeldAddon

CREDIT_BALANCE = "conversation"     # the wallet's purchased conversation credit
APPLIED_KEPT = 50


def holdings_of(doc: dict) -> dict[str, Holding]:
    return {a: Holding(a, int(h["quantity"]), h.get("next_quantity"))
            for a, h in (doc.get("addons") or {}).items()}


def holding_rev(doc: dict, addon_id: str) -> int:
    return int(((doc.get("addons") or {}).get(addon_id) or {}).get("rev", 0))


def holdings_doc(holdings: dict[str, Holding], doc: dict, now: datetime) -> dict:
    """The `addons` of `doc`'s next version (state.save): a changed holding gets that version
    as its `rev`, an unchanged one keeps its own."""
    old, out = doc.get("addons") or {}, {}
    for a, h in sorted(holdings.items()):
        was = old.get(a) or {}
        same = bool(was) and (was["quantity"], was.get("next_quantity")) == (h.quantity,
                                                                       h.next_quantity)
        if h.quantity > 0:
            out[a] = {"quantity": h.quantity, "next_quantity": h.next_quantity,
                      "added_at": was.get("added_at") or now,
                      "rev": holding_rev(doc, a) if same else (doc.get("version") or 0) + 1}
    return out


def priced_on(holdings: dict[str, Holding], line: dict) -> bool:
    """Is the add-on of an order line (service/addon_orders.line_doc) held in the quantity the
    line was priced on? A recurring line for `quantity` units with `change` applies only on
    `quantity - change` held (anything else: a concurrent change came first)."""
    held = holdings.get(line["addon_id"])
    return line["billing"] != "recurring" or (
        held.quantity if held else 0) == line["quantity"] - line["change"]


async def held_terms(svc: Services, doc: dict, extra: Iterable[str] = ()) -> dict[str, AddonTerms]:
    return await catalog(svc.db, [*(doc.get("addons") or {}), *extra])


def credit_doc(key: str, amount: Money, meta: dict) -> dict:
    return {"key": key, "balance": CREDIT_BALANCE, "amount": amount.amount, "meta": meta}


async def post_credits(svc: Services, workspace_id: str, now: datetime) -> None:
    """Post the wallet credits the subscription owes, then forget them (both idempotent)."""
    pending = (await state.load(svc, workspace_id)).get("addon_credits") or []
    if not pending:
        return
    await svc.ledger.post(workspace_id, [
        LedgerIntent(c["key"], "addon_credit", c["balance"], Money.idr(c["amount"]),
                     dict(c["meta"])) for c in pending], now)
    await state.forget_credits(svc, workspace_id, sorted({c["key"] for c in pending}))


async def emit_change(svc: Services, event: str, workspace_id: str, addon_id: str,
                      quantity: int, previous: int, key: str, now: datetime, **extra) -> None:
    """subscription.addon_added | addon_updated | addon_removed, once per `key`."""
    data = {"subscription": workspace_id, "addon_id": addon_id, "quantity": quantity,
            "previous_quantity": previous, **extra}
    await emit(svc.db, f"subscription.{event}", workspace_id, workspace_id, data, now,
               key=f"{addon_id}:{key}")


def holdings_view(doc: dict, terms: dict[str, AddonTerms]) -> tuple[HeldAddon, ...]:
    """The held add-ons as GET …/subscription shows them."""
    out = []
    for addon_id, item in sorted((doc.get("addons") or {}).items()):
        addon = terms.get(addon_id)
        out.append(HeldAddon(addon_id, addon.name if addon else None,
                             addon.display_name if addon else None,
                             addon.type if addon else None, addon.billing if addon else None,
                             item["quantity"], item.get("next_quantity"), item.get("added_at")))
    return tuple(out)
