"""Explicit conversions between domain objects and MongoDB documents (no _id in billing/)."""
from __future__ import annotations

from datetime import datetime

from billing.money import Money
from billing.wallet import Buckets, Entry, LedgerIntent


def money_to_doc(money: Money) -> dict:
    return {"amount": money.amount, "currency": money.currency}


def money_from_doc(doc: dict) -> Money:
    return Money(int(doc["amount"]), doc.get("currency", "IDR"))


def buckets_to_doc(buckets: Buckets) -> dict:
    return {"granted": buckets.granted.amount, "purchased": buckets.purchased.amount,
            "arrears": buckets.arrears.amount}


def buckets_from_doc(doc: dict, currency: str) -> Buckets:
    return Buckets(Money(doc["granted"], currency), Money(doc["purchased"], currency),
                   Money(doc["arrears"], currency))


def intent_to_doc(workspace_id: str, intent: LedgerIntent, now: datetime) -> dict:
    return {"_id": intent.key, "intent_key": intent.key, "state": "pending",
            "workspace_id": workspace_id, "balance": intent.balance,
            "wb": f"{workspace_id}:{intent.balance}", "kind": intent.kind,
            "intent": {"kind": intent.kind, "amount": intent.amount.amount,
                       "currency": intent.amount.currency},
            "meta": dict(intent.meta), "created_at": now}


def intent_from_doc(doc: dict) -> LedgerIntent:
    raw = doc["intent"]
    return LedgerIntent(doc["intent_key"], raw["kind"], doc["balance"],
                        Money(raw["amount"], raw["currency"]), dict(doc.get("meta") or {}))


def entry_to_doc(workspace_id: str, entry: Entry, intent_key: str, seq: int, order: int,
                 intent_doc: dict, now: datetime) -> dict:
    return {"_id": entry.key, "intent_key": intent_key, "state": "applied",
            "workspace_id": workspace_id, "balance": entry.balance,
            "wb": f"{workspace_id}:{entry.balance}", "kind": entry.kind,
            "intent": intent_doc["intent"], "meta": dict(entry.meta),
            "amount": entry.amount.amount, "currency": entry.amount.currency,
            "delta": buckets_to_doc(entry.delta), "after": buckets_to_doc(entry.after),
            "seq": seq, "order": order, "created_at": intent_doc["created_at"], "applied_at": now}


def entry_from_doc(doc: dict) -> Entry:
    currency = doc["currency"]
    return Entry(doc["_id"], doc["kind"], doc["balance"], Money(doc["amount"], currency),
                 buckets_from_doc(doc["delta"], currency), buckets_from_doc(doc["after"], currency),
                 dict(doc.get("meta") or {}))
