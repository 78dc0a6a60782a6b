"""The WhatsApp wallet: two balances (conversation, broadcast), each with granted, purchased
and arrears buckets, changed only by ledger entries.

For every balance: granted + purchased - arrears == sum of its ledger entries' `amount`.

- A charge takes `granted` first, then `purchased`. If the two together cannot cover it, the
  whole charge becomes arrears (the buckets never go below zero, the charge is never dropped).
- A credit (grant → granted; top-up / add-on → purchased) pays arrears first: the credit entry is
  followed by an `arrears_settlement` entry. Its `amount` is 0 (the bucket and the arrears both
  shrink, so the balance and the ledger sum do not change); the usage history shows the amount
  it settled instead (`shown_amount`).
- An expiry removes unused granted credit at a period end.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from billing.money import Money

BalanceKind = Literal["conversation", "broadcast"]
BALANCE_KINDS: tuple[BalanceKind, ...] = ("conversation", "broadcast")
Bucket = Literal["granted", "purchased"]

CREDIT_BUCKET: dict[str, Bucket] = {
    "grant": "granted",
    "topup": "purchased",
    "addon_credit": "purchased",
    "refund": "purchased",
}
CREDIT_KINDS = frozenset(CREDIT_BUCKET)
DEBIT_KINDS = frozenset({"charge", "expiry"})


@dataclass(frozen=True, slots=True)
class Buckets:
    granted: Money
    purchased: Money
    arrears: Money

    @classmethod
    def empty(cls, currency: str = "IDR") -> Buckets:
        zero = Money.zero(currency)
        return cls(zero, zero, zero)

    @property
    def total(self) -> Money:
        """What can be spent: granted + purchased (arrears are owed separately)."""
        return self.granted + self.purchased

    @property
    def net(self) -> Money:
        """granted + purchased - arrears: what the ledger of this balance sums to."""
        return self.granted + self.purchased - self.arrears

    def plus(self, delta: Buckets) -> Buckets:
        return Buckets(self.granted + delta.granted, self.purchased + delta.purchased,
                       self.arrears + delta.arrears)


@dataclass(frozen=True, slots=True)
class LedgerIntent:
    """A request to move money, identified by its idempotency key."""
    key: str
    kind: str                    # charge | grant | topup | addon_credit | refund | expiry
    balance: BalanceKind
    amount: Money                # magnitude, >= 0 (for expiry: the most to expire)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.amount.is_negative():
            raise ValueError("intent amounts are magnitudes; use the kind for the direction")
        if self.kind not in CREDIT_KINDS | DEBIT_KINDS:
            raise ValueError(f"unknown ledger kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Entry:
    """An applied, immutable ledger entry."""
    key: str
    kind: str                    # the intent's kind, or arrears / arrears_settlement
    balance: BalanceKind
    amount: Money                # signed change of granted + purchased - arrears
    delta: Buckets
    after: Buckets
    meta: dict = field(default_factory=dict)


def shown_amount(entry: Entry) -> Money:
    """The amount a person reads for an entry: its change of the balance (granted + purchased -
    arrears), or for an arrears settlement, whose change is zero, the amount it settled."""
    if entry.kind == "arrears_settlement":
        return -entry.delta.arrears
    return entry.amount


# What a person reads an entry as (the usage history's "activity"): a message charge is a reply
# (conversation) or a broadcast, whether it was paid or went into arrears; every other kind is
# its own activity. activity → (its balance or None for either, the ledger kinds it covers).
ACTIVITIES: dict[str, tuple[BalanceKind | None, tuple[str, ...]]] = {
    "reply": ("conversation", ("charge", "arrears")),
    "broadcast": ("broadcast", ("charge", "arrears")),
    "grant": (None, ("grant",)),
    "expiry": (None, ("expiry",)),
    "topup": (None, ("topup",)),
    "arrears_settlement": (None, ("arrears_settlement",)),
    "addon_credit": (None, ("addon_credit",)),
    "refund": (None, ("refund",)),
}


def activity(entry: Entry) -> str:
    """The entry's activity (a key of ACTIVITIES)."""
    if entry.kind in ("charge", "arrears"):
        return "reply" if entry.balance == "conversation" else "broadcast"
    return entry.kind


def messages_covered(state: Buckets, price: Money) -> int | None:
    """About how many messages at `price` the balance pays for: its net balance (what
    `authorize` lets a broadcast spend) over the price, rounded down; 0 while it is in arrears;
    None when the messages are free (price 0)."""
    if price.amount <= 0:
        return None
    net = state.net
    if net < price:                 # (also refuses two currencies)
        return 0
    return net.amount // price.amount


class Posted(dict[str, list[Entry]]):
    """What posting intents returns: for every intent key, its entries (applied by this post or
    an earlier one), and `fresh`: the keys this post applied. A replay is in the dict, not in
    `fresh`, so "what did this processing charge" counts `fresh` only."""

    def __init__(self, entries: dict[str, list[Entry]] | None = None,
                 fresh: frozenset[str] | set[str] = frozenset()) -> None:
        super().__init__(entries or {})
        self.fresh = frozenset(fresh)


def settlement_key(intent_key: str) -> str:
    return f"{intent_key}:settle"


def apply_intent(state: Buckets, intent: LedgerIntent) -> tuple[Buckets, list[Entry]]:
    """Apply one intent to one balance's buckets; return the new buckets and its entries."""
    if intent.kind == "charge":
        return _charge(state, intent)
    if intent.kind == "expiry":
        return _expire(state, intent)
    return _credit(state, intent)


def _entry(state: Buckets, intent: LedgerIntent, delta: Buckets, *, kind: str | None = None,
           key: str | None = None) -> tuple[Buckets, Entry]:
    after = state.plus(delta)
    amount = delta.granted + delta.purchased - delta.arrears
    entry = Entry(key or intent.key, kind or intent.kind, intent.balance, amount, delta, after,
                  dict(intent.meta))
    return after, entry


def _charge(state: Buckets, intent: LedgerIntent) -> tuple[Buckets, list[Entry]]:
    """The hot path (one call per charged WhatsApp message): the same rule as the Money
    operators give (granted first, then purchased; whole into arrears when both cannot cover
    it), computed on the integer amounts, after the currency check the operators make."""
    amount, currency = intent.amount, intent.amount.currency
    for bucket in (state.granted, state.purchased, state.arrears):
        if bucket.currency != currency:
            bucket._same(amount)                    # raises CurrencyMismatch, as the operators
    granted, purchased, arrears = state.granted.amount, state.purchased.amount, state.arrears.amount
    money = Money._valid
    if granted + purchased < amount.amount:
        kind, zero = "arrears", money(0, currency)
        delta = Buckets(zero, zero, amount)
        after = Buckets(state.granted, state.purchased, money(arrears + amount.amount, currency))
    else:
        from_granted = min(granted, amount.amount)
        from_purchased = amount.amount - from_granted
        kind = intent.kind
        delta = Buckets(money(-from_granted, currency), money(-from_purchased, currency),
                        money(0, currency))
        after = Buckets(money(granted - from_granted, currency),
                        money(purchased - from_purchased, currency), state.arrears)
    entry = Entry(intent.key, kind, intent.balance, money(-amount.amount, currency), delta, after,
                  dict(intent.meta))
    return after, [entry]


def _expire(state: Buckets, intent: LedgerIntent) -> tuple[Buckets, list[Entry]]:
    zero = Money.zero(intent.amount.currency)
    expired = min(state.granted, intent.amount)
    after, entry = _entry(state, intent, Buckets(-expired, zero, zero))
    return after, [entry]


def _credit(state: Buckets, intent: LedgerIntent) -> tuple[Buckets, list[Entry]]:
    zero = Money.zero(intent.amount.currency)
    bucket = CREDIT_BUCKET[intent.kind]
    delta = replace(Buckets(zero, zero, zero), **{bucket: intent.amount})
    state, credit = _entry(state, intent, delta)
    settled = min(state.arrears, intent.amount)
    if settled.is_zero():
        return state, [credit]
    settle_delta = replace(Buckets(zero, zero, -settled), **{bucket: -settled})
    state, settlement = _entry(state, intent, settle_delta, kind="arrears_settlement",
                               key=settlement_key(intent.key))
    return state, [credit, settlement]


@dataclass(frozen=True, slots=True)
class Authorization:
    allowed: bool
    cost: Money
    available: Money


def authorize(state: Buckets, cost: Money, *, may_use_arrears: bool,
              arrears_limit: Money) -> Authorization:
    """May the console send messages costing `cost`? Replies may run into arrears up to the
    limit; broadcasts must be covered by the net balance."""
    available = state.net + (arrears_limit if may_use_arrears else Money.zero(cost.currency))
    return Authorization(available >= cost, cost, available)
