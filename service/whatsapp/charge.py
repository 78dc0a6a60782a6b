"""Use cases: charge WhatsApp messages exactly once (the rules: `billing.charging`).

`charge_events` records one payload's events and charges what they decide; `charge_overdue`
(the sweep) charges delivered messages whose category never came, by the 24-hour rule. Each
reads what the decision needs once, asks `billing.charging` to decide, and posts the intents
to the ledger (group-committed per wallet by `service.wallet.ledger`)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, TypeVar

from billing.charging import MessageRecord, decide, decide_overdue, records_needed, reply_window
from billing.rates import RateCard
from billing.wallet import LedgerIntent
from billing.whatsapp import Event, InboundMessage, OtherChange, StatusUpdate
from service.wallet.ledger import MongoLedger
from service.whatsapp.log import MongoWhatsAppLog
from service.whatsapp.routing import Route, Routing

A = TypeVar("A")
B = TypeVar("B")


@dataclass
class ProcessResult:
    inbound: int = 0
    statuses: int = 0
    charged: list[str] = field(default_factory=list)   # wamids this processing charged
    waiting_for_category: list[str] = field(default_factory=list)
    unrouted: int = 0
    other: int = 0


@dataclass
class _Sorted:
    inbound: list[tuple[str, InboundMessage]] = field(default_factory=list)
    statuses: list[tuple[str, StatusUpdate]] = field(default_factory=list)
    unrouted: list[Event] = field(default_factory=list)
    other: int = 0


def _sort(events: list[Event], routes: dict[str, Route]) -> _Sorted:
    out = _Sorted()
    for event in events:
        route = routes.get(event.phone_number_id) if event.phone_number_id else None
        if isinstance(event, OtherChange):
            out.other += 1
        elif route is None:
            out.unrouted.append(event)
        elif isinstance(event, InboundMessage):
            out.inbound.append((route.workspace_id, event))
        elif isinstance(event, StatusUpdate):
            out.statuses.append((route.workspace_id, event))
    return out


async def charge_events(events: list[Event], payload_id: str, *, log: MongoWhatsAppLog,
                        routing: Routing, ledger: MongoLedger, now: datetime) -> ProcessResult:
    phones = {e.phone_number_id for e in events if e.phone_number_id}
    routes = await routing.routes(phones) if phones else {}
    sorted_ = _sort(events, routes)
    result = ProcessResult(inbound=len(sorted_.inbound), statuses=len(sorted_.statuses),
                           unrouted=len(sorted_.unrouted), other=sorted_.other)
    if sorted_.unrouted:
        await log.record_unrouted(payload_id, sorted_.unrouted, now)
    if sorted_.inbound:
        await log.record_inbound(sorted_.inbound)
    if sorted_.statuses:
        rates = {r.workspace_id: r.rates for r in routes.values()}
        await _charge_statuses(sorted_.statuses, rates, log=log, routing=routing,
                               ledger=ledger, now=now, result=result)
    return result


async def _charge_statuses(statuses: list[tuple[str, StatusUpdate]],
                           rates: dict[str, RateCard], *, log: MongoWhatsAppLog,
                           routing: Routing, ledger: MongoLedger, now: datetime,
                           result: ProcessResult) -> None:
    """Record the statuses and charge what they decide, the two at once where they can be.

    A message whose payload decides its charge alone (a delivered status carrying its
    category: `decide` needs no stored record for it) is posted to the ledger concurrently
    with the record write (which goes to the other store), not after it: a single `delivered`
    webhook waits for the longer of the two, not their sum. Only the messages that need their
    stored record (`records_needed`) wait for the write, then read it, then post.

    Crash-safe in either order, as every write is keyed (`charge_key(wamid)`, the wamid's
    record): the body is stored only after both completed, so a crash between them answers no
    200, and Meta's retry runs this again: the record is written, the post finds its key
    applied and charges nothing. A charge made before its record existed is exactly what the
    inline path makes anyway: the record it gets carries the category, so the sweep's overdue
    path never looks at it; and if a later status without pricing (a `read`) created the record
    first, the overdue charge (after `grace`) posts the same `charge_key(wamid)`, which the
    ledger answers with the first charge: nothing more is charged, the record is marked
    charged. A crash after the record write and before the charge is the old order's case:
    the record carries the category, Meta's retry charges it."""
    alone = decide(statuses, {}, rates)   # no record given: only what the payload decides
    charged, recorded = await _both(
        _post(alone.intents, ledger=ledger, now=now),
        _charge_recorded(statuses, rates, log=log, routing=routing, ledger=ledger, now=now))
    result.charged.extend(charged + recorded.charged)
    result.waiting_for_category.extend(recorded.waiting_for_category)


async def _charge_recorded(statuses: list[tuple[str, StatusUpdate]],
                           rates: dict[str, RateCard], *, log: MongoWhatsAppLog,
                           routing: Routing, ledger: MongoLedger,
                           now: datetime) -> ProcessResult:
    """Write the records; charge the messages whose decision needs them (not the others)."""
    result = ProcessResult()
    created = await log.record_statuses(statuses, now)
    needed = records_needed(statuses, created)
    if not needed:
        return result
    known = {r.wamid: r for r in await log.messages(needed)}
    elsewhere = {r.workspace_id for r in known.values()} - rates.keys()  # a number moved
    if elsewhere:
        rates = {**rates, **await routing.rates_for(elsewhere)}
    decision = decide([(ws, s) for ws, s in statuses if s.wamid in needed], known, rates)
    result.waiting_for_category.extend(decision.waiting)
    result.charged.extend(await _post(decision.intents, ledger=ledger, now=now))
    return result


async def _both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Run both to the end (neither is left running when the other fails); the first error
    raised, if any. The first runs in this task, the second in one of its own (`gather` made
    a task of each: two per webhook); the first still starts first."""
    task = asyncio.ensure_future(second)
    try:
        a = await first
    except BaseException:
        await asyncio.gather(task, return_exceptions=True)    # to its end, as before
        raise
    return a, await task


async def _post(intents: dict[str, list[LedgerIntent]], *, ledger: MongoLedger,
                now: datetime) -> list[str]:
    """Post charges; → the wamids this call charged, not those whose ledger key found the
    charge made already (by another payload, a concurrent request or the sweep)."""
    if not intents:
        return []
    # Every workspace's post at once (one ledger flush); only the fresh keys are needed.
    # One workspace (a webhook's usual case) is awaited as it is: no task for it.
    calls = [ledger.post(ws, batch, now, entries=False) for ws, batch in intents.items()]
    posts = [await calls[0]] if len(calls) == 1 else await asyncio.gather(*calls)
    return [i.meta["wamid"] for batch, posted in zip(intents.values(), posts)
            for i in batch if i.key in posted.fresh]


async def _replied(records: list[MessageRecord], log: MongoWhatsAppLog) -> set[str]:
    """The wamids whose customer wrote to the workspace in the 24 hours before them."""
    replied = set()
    for record in records:
        window = reply_window(record)
        if window and await log.had_inbound(record.workspace_id, *window):
            replied.add(record.wamid)
    return replied


async def charge_overdue(*, log: MongoWhatsAppLog, routing: Routing, ledger: MongoLedger,
                         now: datetime, grace: timedelta, limit: int = 500) -> ProcessResult:
    """Charge delivered messages whose category is still unknown `grace` after delivery, by
    the 24-hour rule. (Messages with a known category are charged inline; a crash there is
    recovered by re-processing the stored payload.) Only these charges are marked on the
    message records: they are what the sweep looks for; a repeated inline charge is stopped by
    its ledger key."""
    result = ProcessResult()
    records = await log.awaiting_charge(now - grace, limit)
    rates = await routing.rates_for({r.workspace_id for r in records}) if records else {}
    billable = [r for r in records if r.workspace_id in rates]
    intents = decide_overdue(billable, rates, await _replied(billable, log))
    result.charged = await _post(intents, ledger=ledger, now=now)
    charged = {i.meta["wamid"]: i.key for batch in intents.values() for i in batch}
    if charged:
        await log.mark_charged(charged)
    return result
