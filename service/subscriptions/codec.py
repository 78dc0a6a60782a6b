"""Subscription documents ⇄ records (service/subscriptions/records.py), pure: the stored
schema is the one earlier versions wrote. Fields they did not write load as defaults, fields
this version does not know are kept as they are (`SubscriptionState.extra`), and optional
parts a record does not have are left out of its document, as earlier versions did (a missing
field and null match the same queries)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.money import Money
from billing.periods import Period
from service.mongo.docs import money_from_doc, money_to_doc, to_ms
from service.subscriptions.records import (AddonChangeMark, AddonCredit, Announced, Boundary,
                                           Claim, Gift, HoldingEntry, LastChange, OrderApplied,
                                           PendingChange, SubscriptionOrder, SubscriptionState)

_KNOWN = {"_id", "plan", "period", "anchor", "current_period_start", "current_period_end",
          "status", "scheduled_change", "complimentary", "created_at", "version", "due",
          "due_ms", "claim", "boundary", "last_change", "addons", "addon_changes", "addon_credits",
          "addon_orders_applied", "outbox", "announced"}


def _some(**fields: Any) -> dict:
    """A sub-document without its unset (None) fields, as earlier versions wrote them."""
    return {k: v for k, v in fields.items() if v is not None}


def _change_from_doc(d: dict | None) -> PendingChange | None:
    if not d:
        return None
    return PendingChange(d.get("kind"), d["plan"], d["period"], d.get("timing"),
                         d.get("order_id"), d.get("invoice_code"), d.get("requested_at"),
                         d.get("effective_at"), d.get("addons"))


def _change_to_doc(c: PendingChange | None) -> dict | None:
    if c is None:
        return None
    return {"kind": c.kind, "plan": c.plan, "period": c.period, "timing": c.timing,
            "order_id": c.order_id, "invoice_code": c.invoice_code,
            "requested_at": c.requested_at, "effective_at": c.effective_at,
            "addons": None if c.addons is None else dict(c.addons)}


def _gift_from_doc(d: dict | None) -> Gift | None:
    if not d:
        return None
    return Gift(d["plan"], d["by"], d.get("reseller_id"),
                Period(d["period_start"], d["period_end"]), d.get("at"))


def _gift_to_doc(g: Gift | None) -> dict | None:
    if g is None:
        return None
    return {"plan": g.plan, "period_start": g.period.start, "period_end": g.period.end,
            "by": g.by, "reseller_id": g.reseller_id, "at": g.at}


def last_change_from_doc(d: dict | None) -> LastChange | None:
    if not d:
        return None
    lines = d.get("addon_lines")
    return LastChange(d["outcome"], d["at"], d.get("order_id"), d.get("from_plan"),
                      d.get("plan"), d.get("effective_at"),
                      None if lines is None else tuple(lines))


def last_change_to_doc(c: LastChange) -> dict:
    return _some(order_id=c.order_id, outcome=c.outcome, at=c.at, from_plan=c.from_plan,
                 plan=c.plan, effective_at=c.effective_at,
                 addon_lines=None if c.addon_lines is None else list(c.addon_lines))


def _boundary_from_doc(d: dict | None) -> Boundary | None:
    if not d:
        return None
    return Boundary(d["ended_start"], d["start"], d["plan"], bool(d["expire"]),
                    Money(int(d["grant"]), d.get("currency", "IDR")))


def _boundary_to_doc(b: Boundary) -> dict:
    return {"ended_start": b.ended_start, "start": b.start, "plan": b.plan, "expire": b.expire,
            "grant": b.grant.amount, "currency": b.grant.currency}


def _credit_from_doc(d: dict) -> AddonCredit:
    return AddonCredit(d["key"], d["balance"], Money.idr(int(d["amount"])), dict(d["meta"]))


def _credit_to_doc(c: AddonCredit) -> dict:   # rupiah only: the wallet's currency
    return {"key": c.key, "balance": c.balance, "amount": c.amount.amount, "meta": dict(c.meta)}


def _mark_from_doc(d: dict) -> AddonChangeMark:
    credit = d.get("credit")
    return AddonChangeMark(d["key"], d.get("next_quantity"),
                           None if credit is None else Money.idr(int(credit)))


def _mark_to_doc(m: AddonChangeMark) -> dict:
    return {"key": m.key, "next_quantity": m.next_quantity,
            "credit": m.credit.amount if m.credit else None}


def _holding_from_doc(d: dict) -> HoldingEntry:
    return HoldingEntry(int(d["quantity"]), d.get("next_quantity"), d.get("added_at"),
                        int(d.get("rev", 0)))


def _holding_to_doc(h: HoldingEntry) -> dict:
    return {"quantity": h.quantity, "next_quantity": h.next_quantity, "added_at": h.added_at,
            "rev": h.rev}


def state_from_doc(doc: dict) -> SubscriptionState:
    claim, due = doc.get("claim"), doc.get("due")
    return SubscriptionState(
        doc["_id"], doc.get("plan", "free"), doc.get("period", "monthly"),
        doc.get("anchor") or doc["current_period_start"],
        Period(doc["current_period_start"], doc["current_period_end"]),
        doc.get("status", "active"), _change_from_doc(doc.get("scheduled_change")),
        _gift_from_doc(doc.get("complimentary")), doc.get("created_at"), doc.get("version"),
        due["at"] if due else None, Claim(claim["by"], claim["until"]) if claim else None,
        _boundary_from_doc(doc.get("boundary")), last_change_from_doc(doc.get("last_change")),
        {a: _holding_from_doc(h) for a, h in (doc.get("addons") or {}).items()},
        {a: _mark_from_doc(m) for a, m in (doc.get("addon_changes") or {}).items()},
        tuple(_credit_from_doc(c) for c in doc.get("addon_credits") or ()),
        tuple(doc.get("addon_orders_applied") or ()),
        {k: v for k, v in doc.items() if k not in _KNOWN}, tuple(doc.get("outbox") or ()),
        announced_from_doc(doc.get("announced")))


def announced_from_doc(d: dict | None) -> Announced | None:
    return Announced(dict(d["limits"]), int(d["version"])) if d else None


def announced_to_doc(a: Announced) -> dict:
    return {"limits": dict(a.limits), "version": a.version}


def state_to_doc(s: SubscriptionState) -> dict:
    doc = {**s.extra, "_id": s.workspace_id, "plan": s.plan, "period": s.period,
           "anchor": s.anchor, "current_period_start": s.current.start,
           "current_period_end": s.current.end, "status": s.status,
           "scheduled_change": _change_to_doc(s.scheduled_change),
           "complimentary": _gift_to_doc(s.complimentary), "created_at": s.created_at}
    optional = {
        "version": s.version, "due": _some(at=s.due) if s.due else None,
        "due_ms": to_ms(s.due) if s.due else None,      # the billing run's due query
        "claim": {"by": s.claim.by, "until": s.claim.until} if s.claim else None,
        "boundary": _boundary_to_doc(s.boundary) if s.boundary else None,
        "last_change": last_change_to_doc(s.last_change) if s.last_change else None,
        "addons": {a: _holding_to_doc(h) for a, h in s.addons.items()} or None,
        "addon_changes": {a: _mark_to_doc(m) for a, m in s.addon_changes.items()} or None,
        "addon_credits": [_credit_to_doc(c) for c in s.addon_credits] or None,
        "addon_orders_applied": list(s.addon_orders_applied) or None,
        "outbox": [dict(e) for e in s.outbox] or None,
        "announced": announced_to_doc(s.announced) if s.announced else None}
    return {**doc, **_some(**optional)}



# --- subscription orders ---------------------------------------------------------------------

def order_from_doc(d: dict) -> SubscriptionOrder:
    paid, applied = d.get("paid"), d.get("applied")
    lines = applied.get("addon_lines") if applied else None
    return SubscriptionOrder(
        d["_id"], d["workspace_id"], d["timing"], Period(d["period_start"], d["period_end"]),
        d["plan"], d["period"], d["from_plan"], d["from_period"], d["invoice_type"],
        money_from_doc(d["amount"]), d["seed"], d.get("detail", ""),
        tuple(d.get("addons") or ()), d["status"], d.get("invoice_id"), d.get("invoice_code"),
        d["created_at"], paid["at"] if paid else None,
        OrderApplied(applied["at"], None if lines is None else tuple(lines)) if applied else None,
        d.get("outcome"))


def order_to_doc(o: SubscriptionOrder) -> dict:
    doc = {"_id": o.id, "workspace_id": o.workspace_id, "timing": o.timing,
           "period_start": o.covers.start, "period_end": o.covers.end, "plan": o.plan,
           "period": o.period, "from_plan": o.from_plan, "from_period": o.from_period,
           "invoice_type": o.invoice_type, "amount": money_to_doc(o.amount), "seed": o.seed,
           "detail": o.detail, "addons": list(o.addons), "status": o.status,
           "invoice_id": o.invoice_id, "invoice_code": o.invoice_code,
           "created_at": o.created_at}
    a = o.applied
    return {**doc, **_some(
        paid={"at": o.paid_at} if o.paid_at else None, outcome=o.outcome,
        applied=applied_to_doc(a.at, a.addon_lines) if a else None)}


def applied_to_doc(at: datetime, lines: tuple[str, ...] | None) -> dict:
    return {"at": at, "addon_lines": None if lines is None else list(lines)}
