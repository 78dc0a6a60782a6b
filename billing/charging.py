"""Use cases: bill WhatsApp messages exactly once.

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
from billing.ports import Ledger, MessageRecord, WhatsAppLog
from billing.rates import FALLBACK_BROADCAST, FALLBACK_REPLY, RateCard, balance_for
from billing.wallet import LedgerIntent
from billing.whatsapp import DELIVERED_RANK, Event, InboundMessage, OtherChange, StatusUpdate

REPLY_WINDOW = timedelta(hours=24)


@dataclass
class ProcessResult:
    inbound: int = 0
    statuses: int = 0
    charged: list[str] = field(default_factory=list)   # wamids this processing charged
    waiting_for_category: list[str] = field(default_factory=list)
    unrouted: int = 0
    other: int = 0


def charge_key(wamid: str) -> str:
    return ledger_keys.charge(wamid)


def charge_intent(record: MessageRecord, category: str, rates: RateCard,
                  *, inferred: bool) -> LedgerIntent:
    meta = {"wamid": record.wamid, "category": category, "inferred_category": inferred}
    return LedgerIntent(charge_key(record.wamid), "charge", balance_for(category),
                        rates.price(category), meta)


async def process_events(events: list[Event], payload_id: str, *, log: WhatsAppLog,
                         ledger: Ledger, now: datetime) -> ProcessResult:
    result = ProcessResult()
    phones = {e.phone_number_id for e in events if e.phone_number_id}
    routes = await log.routes(phones) if phones else {}
    inbound, statuses, unrouted = [], [], []
    for event in events:
        route = routes.get(event.phone_number_id) if event.phone_number_id else None
        if isinstance(event, OtherChange):
            result.other += 1
        elif route is None:
            unrouted.append(event)
        elif isinstance(event, InboundMessage):
            inbound.append((route.workspace_id, event))
        elif isinstance(event, StatusUpdate):
            statuses.append((route.workspace_id, event))
    if unrouted:
        result.unrouted = len(unrouted)
        await log.record_unrouted(payload_id, unrouted, now)
    if inbound:
        result.inbound = len(inbound)
        await log.record_inbound(inbound)
    if statuses:
        result.statuses = len(statuses)
        created = await log.record_statuses(statuses, now)
        rates = {r.workspace_id: r.rates for r in routes.values()}
        decided, to_read = split_by_knowledge(statuses, created)
        records = decided + (await log.messages(to_read) if to_read else [])
        elsewhere = {r.workspace_id for r in records} - rates.keys()  # a number moved meanwhile
        if elsewhere:
            rates.update(await log.rates_for(elsewhere))
        await _charge_known(records, rates, log=log, ledger=ledger, now=now, result=result)
    return result


def split_by_knowledge(statuses: list[tuple[str, StatusUpdate]],
                       created: set[str]) -> tuple[list[MessageRecord], set[str]]:
    """Which messages this payload alone decides, and which need their stored record.

    A delivered message whose category this payload carries is charged from the payload (its
    ledger key stops a repeat). A message whose record this payload created has no earlier
    status to combine with. Only the rest (e.g. a `read` without pricing after a `sent` with
    it, or a `sent` with pricing after a `read` without) needs a read."""
    by_wamid: dict[str, list[tuple[str, StatusUpdate]]] = {}
    for workspace_id, update in statuses:
        by_wamid.setdefault(update.wamid, []).append((workspace_id, update))
    decided, to_read = [], set()
    for wamid, updates in by_wamid.items():
        category = next((u.category for _, u in updates if u.category), None)
        delivered = any(u.delivered for _, u in updates)
        if delivered and category:
            decided.append(MessageRecord(wamid, updates[0][0], None, None, category,
                                         max(u.rank for _, u in updates), None, None, None))
        elif wamid not in created and (delivered or category):
            to_read.add(wamid)
    return decided, to_read


async def _charge_known(records: list[MessageRecord], rates: dict[str, RateCard], *,
                        log: WhatsAppLog, ledger: Ledger, now: datetime,
                        result: ProcessResult) -> None:
    by_workspace: dict[str, list[LedgerIntent]] = {}
    for record in records:
        if record.charge_key or record.rank < DELIVERED_RANK or record.workspace_id not in rates:
            continue
        if record.category is None:
            result.waiting_for_category.append(record.wamid)
            continue
        intent = charge_intent(record, record.category, rates[record.workspace_id], inferred=False)
        by_workspace.setdefault(record.workspace_id, []).append(intent)
    await _post(by_workspace, log=log, ledger=ledger, now=now, result=result, mark=False)


async def _post(by_workspace: dict[str, list[LedgerIntent]], *, log: WhatsAppLog,
                ledger: Ledger, now: datetime, result: ProcessResult, mark: bool) -> None:
    """Post charges. Only the sweep's charges are marked on the message records (they are what
    the sweep looks for); a repeated inline charge is stopped by its ledger key. `charged`
    lists the charges this call made, not those its ledger keys found made already."""
    charged: dict[str, str] = {}
    for workspace_id, intents in by_workspace.items():
        posted = await ledger.post(workspace_id, intents, now)
        charged.update({i.meta["wamid"]: i.key for i in intents})
        result.charged.extend(i.meta["wamid"] for i in intents if i.key in posted.fresh)
    if charged and mark:
        await log.mark_charged(charged)


async def fallback_category(record: MessageRecord, log: WhatsAppLog) -> str:
    """No status carried pricing: a reply if the customer wrote in the 24 h before, else a
    broadcast."""
    customers = {c for c in (record.recipient_id, record.recipient_user_id) if c}
    sent_at = record.first_seen or record.delivered_seen_at
    if customers and sent_at and await log.had_inbound(
            record.workspace_id, customers, sent_at - REPLY_WINDOW, sent_at):
        return FALLBACK_REPLY
    return FALLBACK_BROADCAST


async def charge_overdue(*, log: WhatsAppLog, ledger: Ledger, now: datetime, grace: timedelta,
                         limit: int = 500) -> ProcessResult:
    """Charge delivered messages whose category is still unknown `grace` after delivery, by
    the 24-hour rule. (Messages with a known category are charged inline; a crash there is
    recovered by re-processing the stored payload.)"""
    result = ProcessResult()
    records = await log.awaiting_charge(now - grace, limit)
    rates = await log.rates_for({r.workspace_id for r in records}) if records else {}
    by_workspace: dict[str, list[LedgerIntent]] = {}
    for record in records:
        if record.workspace_id not in rates:
            continue  # the workspace is gone; nothing to bill
        category = await fallback_category(record, log)
        intent = charge_intent(record, category, rates[record.workspace_id], inferred=True)
        by_workspace.setdefault(record.workspace_id, []).append(intent)
    await _post(by_workspace, log=log, ledger=ledger, now=now, result=result, mark=True)
    return result
