"""Explicit conversions between domain objects and MongoDB documents (no _id in billing/)."""
from __future__ import annotations

from datetime import datetime, timezone

from billing.money import Money
from billing.wallet import Buckets, Entry, LedgerIntent


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds. Every time Saldo range-queries, sorts on, or writes with $set/$min
    is stored like this: NX-27017 compares datetimes as strings (wrong below one second) and
    turns a top-level datetime written by $set/$min into a naive string. Integers are exact on
    NX-27017 and MongoDB alike."""
    return int(moment.timestamp() * 1000)


def from_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=timezone.utc)


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


def entry_to_doc(workspace_id: str, entry: Entry, intent: LedgerIntent, seq: int, order: int,
                 now: datetime) -> dict:
    return {"_id": entry.key, "intent_key": intent.key, "workspace_id": workspace_id,
            "balance": entry.balance, "kind": entry.kind, "meta": dict(entry.meta),
            "amount": entry.amount.amount, "currency": entry.amount.currency,
            "delta": buckets_to_doc(entry.delta), "after": buckets_to_doc(entry.after),
            "seq": seq, "order": order, "applied_ms": to_ms(now)}


def entry_from_doc(doc: dict) -> Entry:
    currency = doc["currency"]
    return Entry(doc["_id"], doc["kind"], doc["balance"], Money(doc["amount"], currency),
                 buckets_from_doc(doc["delta"], currency), buckets_from_doc(doc["after"], currency),
                 dict(doc.get("meta") or {}))
