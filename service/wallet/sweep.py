"""The wallets the recovery sweep looks at (service/wallet/ledger.py, `finalize_recent`), read a
page at a time, each page its own bounded command.

NX-27017 answers a `find` by running the whole query at once, under the lock that every command
of the database takes, and serves the getMores from what it gathered (MongoDB reads a cursor's
batches lazily). A sweep whose window held 30,000 wallets held the main store for 3-6 s, and
every webhook's ledger flush waited behind it (bench/tail.py at 100,000 workspaces: one flush of
2.6 s). So the window is read by ranges of `updated_ms` instead: each page is one `find` on the
`updated_ms` index, sorted on it, with a `limit`; the next page starts at the last millisecond
of the one before, whose wallets it reads again (they are left out of the page before), so that
every wallet is read once whatever number share a millisecond, and no command reads more than
`PAGE` wallets, but for a millisecond that alone holds more: it is read whole, in one command
(a billing pass takes its `now` once for all its wallets).

Not `_id` in the filter (`updated_ms == t and _id > x`, the usual tie-break): NX-27017 then
scans the whole collection, ~1 s per page at 100,000 wallets (SQLite's plan: `SCAN wallets`).

Paced (the periodic sweep, not the start-up one, which runs before the port accepts webhooks):
after each page it leaves the store alone `PACE` times as long as the page took, read and
finished. Back to back, its pages met every command of every ledger flush: during a sweep of
30,000 wallets (2.4-8 s), the flushes took twice as long (p50 36 → 73 ms, bench/tail.py)."""
from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

PAGE = 100      # wallets a command reads: ~5-10 ms of the store's lock (bench/tail.py)
PACE = 3.0      # the periodic sweep waits this many times what a page took: <= 1/4 of the store
FIELDS = {"updated_ms": 1, "last": 1, "events": 1}


async def wallet_pages(db: AsyncDatabase, since_ms: int, before_ms: int, *,
                       page: int = PAGE, pace: float = 0.0) -> AsyncIterator[list[dict]]:
    """The wallets with `since_ms <= updated_ms < before_ms`, in `updated_ms` order, about `page`
    at a time; every one exactly once. With `pace`, after each page is read and handled, a pause
    of `pace` times that."""
    at, started = since_ms, None
    while True:
        if pace and started is not None:    # a schedule, not a synchronisation
            await asyncio.sleep(pace * (time.monotonic() - started))
        started = time.monotonic()
        found = await db.wallets.find({"updated_ms": {"$gte": at, "$lt": before_ms}},
                                      FIELDS).sort("updated_ms", 1).limit(page).to_list()
        if len(found) < page:
            if found:
                yield found
            return
        last = found[-1]["updated_ms"]
        if last > found[0]["updated_ms"]:    # the last millisecond's wallets: in the next page
            yield [w for w in found if w["updated_ms"] < last]
            at = last
        else:                                # a page of one millisecond: all of it at once
            yield await db.wallets.find({"updated_ms": last}, FIELDS).to_list()
            at = last + 1
