"""Read models over the ledger: usage history (cursor pagination). Reconciliation is
service/reconcile/."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator

from billing.wallet import ACTIVITIES, Entry
from service.mongo import cursors
from service.mongo.docs import entry_from_doc, from_ms, to_ms
from service.mongo.filters import explicit
from service.runtime.context import Services


@dataclass(frozen=True)
class UsageLine:
    """One applied ledger entry and when it was applied."""
    entry: Entry
    at: datetime


def _is_order(text: str) -> bool:
    """The `order` of the last entry seen: a non-negative int64 (a larger one would make the
    store's BSON encoder raise, i.e. a 500 for a bad cursor)."""
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < 2**63


async def usage(svc: Services, workspace_id: str, *, balance: str | None, kind: str | None,
                since: datetime | None, until: datetime | None, limit: int,
                cursor: str | None, kinds: tuple[str, ...] = ()) -> tuple[list[UsageLine],
                                                                     str | None]:
    """Applied ledger entries, newest first (of `kind`, or of any of `kinds`)."""
    query: dict = {"workspace_id": workspace_id}
    if balance:
        query["balance"] = balance
    if kind:
        query["kind"] = kind
    elif kinds:
        query["kind"] = {"$in": list(kinds)}
    if since or until:
        query["applied_ms"] = {k: to_ms(v) for k, v in (("$gte", since), ("$lt", until)) if v}
    if cursor:
        query["order"] = {"$lt": int(cursors.decode(cursor, _is_order))}
    found = svc.db.ledger.find(explicit(query)).sort("order", -1).limit(limit + 1)
    docs = [d async for d in found]
    more = len(docs) > limit
    docs = docs[:limit]
    lines = [UsageLine(entry_from_doc(d), from_ms(d["applied_ms"])) for d in docs]
    return lines, (cursors.encode(docs[-1]["order"]) if more and docs else None)


def activity_filter(activity: str | None,
                    balance: str | None) -> tuple[str | None, tuple[str, ...]] | None:
    """The usage query of an activity (billing.wallet.ACTIVITIES) within a balance (either may
    be None: any): (balance, kinds), or None when they exclude each other (a reply is never an
    entry of the broadcast balance)."""
    if not activity:
        return balance, ()
    own, kinds = ACTIVITIES[activity]
    if own and balance and own != balance:
        return None
    return own or balance, kinds


async def every_usage_page(svc: Services, workspace_id: str, *, balance: str | None,
                           kinds: tuple[str, ...], since: datetime | None,
                           until: datetime | None,
                           page_size: int = 500) -> AsyncIterator[list[UsageLine]]:
    """All the entries `usage` finds, newest first, a page at a time (for a download)."""
    cursor: str | None = None
    while True:
        lines, cursor = await usage(svc, workspace_id, balance=balance, kind=None, kinds=kinds,
                                    since=since, until=until, limit=page_size, cursor=cursor)
        yield lines
        if cursor is None:
            return


async def broadcasts_charged(svc: Services, workspace_id: str, since: datetime,
                             until: datetime) -> int:
    """Broadcasts charged (paid or in arrears) in [since, until)."""
    # find, not count_documents: NX-27017 miscounts some filters; times as epoch ms (docs.to_ms)
    return len([d async for d in svc.db.ledger.find(explicit({
        "workspace_id": workspace_id, "balance": "broadcast", "kind": {"$in": ["charge", "arrears"]},
        "applied_ms": {"$gte": to_ms(since), "$lt": to_ms(until)}}), {"_id": 1})])
