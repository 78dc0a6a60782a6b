"""The charge decision for WhatsApp messages, pure: statuses and what is known in, ledger intents
out. `service/whatsapp/charge.py` reads and writes around it.

A message (wamid) is charged once, on its first delivered/read status, at the price of its Meta
pricing category, from the balance that category belongs to. Its category is taken from the
`pricing` of any of its statuses. Statuses arrive out of order: a `read` without pricing may
overtake the `delivered` that carries it. So a delivered message whose category is not known yet
waits up to `grace` for it; after that it is charged by the 24-hour rule (a reply if the customer
wrote to the workspace in the 24 hours before the message, else a broadcast). The ledger key
`charge:<wamid>` makes every path exactly-once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from billing import ledger_keys
from billing.rates import FALLBACK_BROADCAST, FALLBACK_REPLY, RateCard, balance_for
from billing.wallet import LedgerIntent
from billing.whatsapp import DELIVERED_RANK, StatusUpdate

REPLY_WINDOW = timedelta(hours=24)
Routed = tuple[str, StatusUpdate]        # (workspace id, status)


@dataclass(frozen=True)
class MessageRecord:
    """What Saldo knows of one outbound message (one wamid), built from all its statuses."""
    wamid: str
    workspace_id: str
    recipient_id: str | None
    recipient_user_id: str | None
    category: str | None
    rank: int
    first_seen: datetime | None
    delivered_seen_at: datetime | None
    charge_key: str | None


@dataclass(frozen=True)
class Decision:
    """Charges to post, by workspace; delivered messages still waiting for their category."""
    intents: dict[str, list[LedgerIntent]] = field(default_factory=dict)
    waiting: tuple[str, ...] = ()


def charge_key(wamid: str) -> str:
    return ledger_keys.charge(wamid)


def charge_intent(wamid: str, category: str, rates: RateCard, *, inferred: bool) -> LedgerIntent:
    meta = {"wamid": wamid, "category": category, "inferred_category": inferred}
    return LedgerIntent(charge_key(wamid), "charge", balance_for(category), rates.price(category),
                        meta)


def _by_wamid(statuses: list[Routed]) -> dict[str, list[Routed]]:
    by_wamid: dict[str, list[Routed]] = {}
    for workspace_id, update in statuses:
        by_wamid.setdefault(update.wamid, []).append((workspace_id, update))
    return by_wamid


def _payload_category(updates: list[Routed]) -> str | None:
    """The category of a delivered message whose category this payload carries: the payload
    alone decides it (its ledger key stops a repeat). None when it does not.

    Hot path: it runs twice per message of every webhook (`records_needed`, then `decide`), so
    it only reads the statuses. Building a `MessageRecord` here (cebee40) doubled the decision's
    cost per status and slowed the batched phase of bench/webhooks.py."""
    category, delivered = None, False
    for _, update in updates:       # one loop, no generators: most messages have one status
        category = category or update.category
        delivered = delivered or update.rank >= DELIVERED_RANK
    return category if category and delivered else None


def records_needed(statuses: list[Routed], created: set[str]) -> set[str]:
    """The messages whose stored record the decision needs. A message whose record this
    payload created has no earlier status to combine with, and one the payload decides alone
    needs none. Only the rest (e.g. a `read` without pricing after a `sent` with it, or a
    `sent` with pricing after a `read` without) needs a read."""
    return {wamid for wamid, updates in _by_wamid(statuses).items()
            if wamid not in created and _payload_category(updates) is None
            and any(u.delivered or u.category for _, u in updates)}


def decide(statuses: list[Routed], known: dict[str, MessageRecord],
           rates: dict[str, RateCard]) -> Decision:
    """What one payload's statuses charge, given the stored records of `records_needed` (after
    this payload's statuses were recorded) and the rate card of each workspace involved."""
    intents: dict[str, list[LedgerIntent]] = {}
    waiting: list[str] = []
    for wamid, updates in _by_wamid(statuses).items():
        workspace_id, category = updates[0][0], _payload_category(updates)
        if category is None:          # not decided by the payload: by its stored record
            record = known.get(wamid)
            if (record is None or record.charge_key or record.rank < DELIVERED_RANK
                    or record.workspace_id not in rates):
                continue
            if record.category is None:
                waiting.append(wamid)
                continue
            workspace_id, category = record.workspace_id, record.category
        elif workspace_id not in rates:
            continue
        intent = charge_intent(wamid, category, rates[workspace_id], inferred=False)
        intents.setdefault(workspace_id, []).append(intent)
    return Decision(intents, tuple(waiting))


def reply_window(record: MessageRecord) -> tuple[set[str], datetime, datetime] | None:
    """The customers, and the 24 hours before the message, in which an inbound message from
    one of them makes it a reply; None when the record cannot tell (then it is a broadcast)."""
    customers = {c for c in (record.recipient_id, record.recipient_user_id) if c}
    sent_at = record.first_seen or record.delivered_seen_at
    if not (customers and sent_at):
        return None
    return customers, sent_at - REPLY_WINDOW, sent_at


def fallback_category(replied: bool) -> str:
    """No status carried pricing: a reply if the customer wrote in the 24 h before, else a
    broadcast."""
    return FALLBACK_REPLY if replied else FALLBACK_BROADCAST


def decide_overdue(records: list[MessageRecord], rates: dict[str, RateCard],
                   replied: set[str]) -> dict[str, list[LedgerIntent]]:
    """Charges, by workspace, for delivered messages whose category never came; `replied`:
    the wamids whose reply window holds an inbound message."""
    intents: dict[str, list[LedgerIntent]] = {}
    for record in records:
        if record.workspace_id not in rates:
            continue  # the workspace is gone; nothing to bill
        category = fallback_category(record.wamid in replied)
        intent = charge_intent(record.wamid, category, rates[record.workspace_id],
                               inferred=True)
        intents.setdefault(record.workspace_id, []).append(intent)
    return intents
