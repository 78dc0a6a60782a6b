"""The wallets the recovery sweep looks at (service/wallet/ledger.py, `finalize_recent`), read a
page at a time, each page its own bounded command.

NX-27017 answers a `find` by running the whole query at once, under the lock that every command
of the database takes, and serves the getMores from what it gathered (MongoDB reads a cursor's
batches lazily). A sweep whose window held 30,000 wallets held the main store for 3-6 s, and
every webhook's ledger flush waited behind it (bench/tail.py at 100,000 workspaces: one flush of
2.6 s). So the window is read by key ranges instead: each page is one `find` sorted on the
`updated_ms` index with a `limit`, starting after the last wallet of the page before (its
`updated_ms`, then its `_id` among the wallets of that same millisecond), so that no command
reads more than `PAGE` wallets. (An `$or` of the two conditions in one command made NX-27017
read the whole collection: 4 s for 100,000 wallets.)"""
from __future__ import annotations

from typing import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

PAGE = 100      # wallets a command reads: ~5-10 ms of the store's lock (bench/tail.py)
FIELDS = {"updated_ms": 1, "last": 1, "events": 1}


async def wallet_pages(db: AsyncDatabase, since_ms: int, before_ms: int, *,
                       page: int = PAGE) -> AsyncIterator[list[dict]]:
    """The wallets with `since_ms <= updated_ms < before_ms`, in (updated_ms, _id) order, `page`
    at a time; every one exactly once, whatever number share a millisecond."""
    at, after = since_ms, None     # resume at `updated_ms == at, _id > after`, then past `at`
    while True:
        if after is not None:      # the rest of the wallets of that millisecond
            ties = await db.wallets.find({"updated_ms": at, "_id": {"$gt": after}},
                                         FIELDS).sort("_id", 1).limit(page).to_list()
            if ties:
                yield ties
                after = ties[-1]["_id"]
            if len(ties) == page:
                continue
            window = {"$gt": at, "$lt": before_ms}
        else:
            window = {"$gte": at, "$lt": before_ms}
        found = await db.wallets.find({"updated_ms": window}, FIELDS).sort(
            [("updated_ms", 1), ("_id", 1)]).limit(page).to_list()
        if found:
            yield found
        if len(found) < page:
            return
        at, after = found[-1]["updated_ms"], found[-1]["_id"]
