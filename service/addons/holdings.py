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

Credits owed (a prorated stop or decrease, an overpaid renewal) are written into
`addon_credits` by the same versioned replace that changes the holdings, then posted as account
credit (service/credit/, idempotent by key) and dropped from the document. A crash in between
leaves them in the document: the billing run posts them on its next pass (`post_credits`).

Add-on code reads a subscription (its `SubscriptionState` record, service/subscriptions/
records.py) only through `subscribed` (a `Subscribed` record) and writes its add-on fields only
through `changes` (a `replace` of the SubscriptionState read, saved by state.save); it reads a
plan order (a `SubscriptionOrder`) only through `plan_order`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from billing.addons import AddonTerms, Holding, effective_limits
from billing.money import Money
from billing.periods import Period
from billing.plans import PlanTerms, find_plan
from service.addons.catalog import catalog
from service.addons.records import AddonOrderLine
from service.credit import credit as account_credit
from service.addons.repository import lines_from_docs
from service.events import shapes
from service.events.emit import emit
from service.events.repository import last_of
from service.runtime.context import Services
from service.subscriptions import state
from service.subscriptions.plans import load_plans
from service.subscriptions.records import (AddonChangeMark, AddonCredit, HeldAddon,
                                           HoldingEntry, PendingChange, SubscriptionOrder,
                                           SubscriptionState)

CREDIT_BALANCE = "conversation"     # the wallet's purchased conversation credit
APPLIED_KEPT = 50


@dataclass(frozen=True)
class Credit:
    """A wallet credit the subscription owes (`addon_credits`), keyed for the ledger."""
    key: str
    amount: Money
    meta: Mapping
    balance: str = CREDIT_BALANCE


@dataclass(frozen=True)
class LastChange:
    """The last change of one held add-on (`addon_changes`): a concurrent request asking for the
    same transition gets its answer (service/addons/transitions.py)."""
    key: str
    next_quantity: int | None
    credit: Money | None


@dataclass(frozen=True)
class Scheduled:
    """A scheduled plan change, as add-ons see it."""
    plan: str
    unit: str
    timing: str
    order_id: str | None
    addons: Mapping[str, int] | None    # quantities wanted after the switch (None: none asked)


@dataclass(frozen=True)
class Subscribed:
    """What add-on code reads of a subscription (its SubscriptionState): made by `subscribed`
    only; the add-on fields are written back by `changes` only."""
    workspace_id: str
    plan: str
    unit: str
    period: Period
    version: int
    holdings: Mapping[str, Holding]
    revs: Mapping[str, int]               # per held add-on: the version that last changed it
    added_at: Mapping[str, datetime | None]
    credits: tuple[Credit, ...]
    last_changes: Mapping[str, LastChange]
    orders_applied: tuple[str, ...]
    scheduled: Scheduled | None

    @property
    def scheduled_addons(self) -> Mapping[str, int] | None:
        return self.scheduled.addons if self.scheduled else None


def _scheduled(change: PendingChange | None) -> Scheduled | None:
    if change is None:
        return None
    return Scheduled(change.plan, change.period, change.timing, change.order_id, change.addons)


def subscribed(doc: SubscriptionState) -> Subscribed:
    items = doc.addons
    return Subscribed(
        doc.workspace_id, doc.plan, doc.period, doc.current, doc.version or 0,
        MappingProxyType({a: Holding(a, h.quantity, h.next_quantity) for a, h in items.items()}),
        MappingProxyType({a: h.rev for a, h in items.items()}),
        MappingProxyType({a: h.added_at for a, h in items.items()}),
        tuple(Credit(c.key, c.amount, c.meta, c.balance) for c in doc.addon_credits),
        MappingProxyType({a: LastChange(c.key, c.next_quantity, c.credit)
                          for a, c in doc.addon_changes.items()}),
        doc.addon_orders_applied, _scheduled(doc.scheduled_change))


def holdings_of(doc: SubscriptionState) -> dict[str, Holding]:
    return dict(subscribed(doc).holdings)


def _holdings(holdings: Mapping[str, Holding], sub: Subscribed,
              now: datetime) -> dict[str, HoldingEntry]:
    """The `addons` of the next version: a changed holding gets that version as its `rev`, an
    unchanged one keeps its own."""
    out = {}
    for a, h in sorted(holdings.items()):
        same = sub.holdings.get(a) == h
        if h.quantity > 0:
            out[a] = HoldingEntry(h.quantity, h.next_quantity, sub.added_at.get(a) or now,
                                  sub.revs.get(a, 0) if same else sub.version + 1)
    return out


def changes(sub: Subscribed, holdings: Mapping[str, Holding], now: datetime, *,
            credits: Iterable[Credit] | None = None, change: tuple[str, LastChange] | None = None,
            applied: str | None = None) -> dict:
    """The add-on fields of `sub`'s next version (for `replace` of its SubscriptionState, then
    state.save): the holdings, with `credits` owed on top of those owed already, the last
    `change` of one add-on, an order `applied`."""
    out: dict = {"addons": _holdings(holdings, sub, now)}
    if credits is not None:
        out["addon_credits"] = tuple(AddonCredit(c.key, c.balance, c.amount, dict(c.meta))
                                     for c in (*sub.credits, *credits))
    if change is not None:
        out["addon_changes"] = {a: AddonChangeMark(c.key, c.next_quantity, c.credit) for a, c in
                                {**sub.last_changes, change[0]: change[1]}.items()}
    if applied is not None:
        out["addon_orders_applied"] = (*sub.orders_applied, applied)[-APPLIED_KEPT:]
    return out


@dataclass(frozen=True)
class PlanOrder:
    """A plan order (service/subscriptions/orders.py), as add-ons see it: read by `plan_order`
    only."""
    id: str
    plan: str
    unit: str
    status: str
    addons: tuple[AddonOrderLine, ...]    # its add-on lines

    def has(self, addon_id: str) -> bool:
        return any(line.addon_id == addon_id for line in self.addons)


def plan_order(order: SubscriptionOrder) -> PlanOrder:
    return PlanOrder(order.id, order.plan, order.period, order.status,
                     lines_from_docs(order.addons))


async def held_terms(svc: Services, doc: SubscriptionState,
                     extra: Iterable[str] = ()) -> dict[str, AddonTerms]:
    """`terms_of` a subscription's state (for service/subscriptions)."""
    return await terms_of(svc, subscribed(doc), extra)


async def terms_of(svc: Services, sub: Subscribed,
                   extra: Iterable[str] = ()) -> dict[str, AddonTerms]:
    """The catalog terms of the held add-ons and of `extra` ones."""
    return await catalog(svc.db, [*sub.holdings, *extra])


async def post_credits(svc: Services, workspace_id: str, now: datetime) -> None:
    """Post the credits the subscription owes as ACCOUNT CREDIT in their currency (issue 11:
    spent by the next invoice, service/credit/), then forget them (both idempotent by key)."""
    pending = subscribed(await state.load(svc, workspace_id)).credits
    if not pending:
        return
    for c in pending:
        await account_credit.add(svc, workspace_id, c.key, c.amount, dict(c.meta), now)
    await state.forget_credits(svc, workspace_id, sorted({c.key for c in pending}))


async def emit_change(svc: Services, event: str, workspace_id: str, addon_id: str,
                      quantity: int, previous: int, key: str, now: datetime, **extra) -> None:
    """subscription.addon_added | addon_updated | addon_removed, once per `key`."""
    data = {"subscription": workspace_id, "addon_id": addon_id, "quantity": quantity,
            "previous_quantity": previous, **extra}
    await emit(svc.db, f"subscription.{event}", workspace_id, workspace_id, data, now,
               key=f"{addon_id}:{key}")
    await entitlements_changed(svc, await state.load(svc, workspace_id), now)


async def limits_of(svc: Services, sub: SubscriptionState,
                    plans: dict[str, PlanTerms] | None = None) -> dict[str, int]:
    """The effective limits (GET …/subscription): the plan's, with the held add-ons (`plans`:
    the catalog already read, e.g. once per billing pass; None: read it)."""
    plan = find_plan(plans if plans is not None else await load_plans(svc.db), sub.plan)
    held = await held_terms(svc, sub)
    return effective_limits(plan.limits, [(held[a], h.quantity)
                                          for a, h in holdings_of(sub).items() if a in held])


async def entitlements_changed(svc: Services, sub: SubscriptionState, now: datetime,
                               plans: dict[str, PlanTerms] | None = None,
                               announced: Mapping | None = None) -> dict:
    """`entitlements.changed` when the effective limits differ from the last ones announced.
    Compared with the last event, not with a remembered state: a change whose event a crash
    lost is announced by the next call, and calling it twice announces nothing twice. The one
    exception, `announced`: the limits the caller knows the last event carries (the billing
    pass, from the subscription's `announced` when nothing wrote it since; None: read the last
    event). → the limits the last event now carries."""
    limits = shapes.limits(await limits_of(svc, sub, plans))
    if announced is None:
        last = await last_of(svc.db, sub.workspace_id, "entitlements.changed")
        announced = None if last is None else last["data"].get("limits")
    if announced == limits:
        return limits
    await emit(svc.db, "entitlements.changed", sub.workspace_id, sub.workspace_id,
               {"workspace_id": sub.workspace_id, "plan": sub.plan, "limits": limits,
                "addons": {a: h.quantity for a, h in sorted(holdings_of(sub).items())}},
               now, key=f"v{sub.version or 0}")
    return limits


def holdings_view(doc: SubscriptionState,
                  terms: dict[str, AddonTerms]) -> tuple[HeldAddon, ...]:
    """The held add-ons as GET …/subscription shows them."""
    out, sub = [], subscribed(doc)
    for addon_id, held in sorted(sub.holdings.items()):
        addon = terms.get(addon_id)
        out.append(HeldAddon(addon_id, addon.name if addon else None,
                             addon.display_name if addon else None,
                             addon.type if addon else None, addon.billing if addon else None,
                             held.quantity, held.next_quantity, sub.added_at[addon_id]))
    return tuple(out)
