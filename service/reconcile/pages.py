"""Reconcile's reads in pages: no store command returns (or, on NX-27017, reads) more than a page,
whatever the number of wallets or ledger entries (issue 16: at 1,000,000 entries one window's
ledger find held the embedded server for minutes, past every other request's 2 s timeout).

NX-27017 answers a `find` whole before its first batch (the cursor's `getMore`s only hand out
what is already read) and runs every command of the server under one lock, so a command's time
is its whole result's: a bound on a command is a `limit`, and each page resumes after the last
document of the one before (keyset), from an index, never by `skip`.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from pymongo.asynchronous.collection import AsyncCollection

WALLET_PAGE = 200          # wallets per find (and workspaces per window of the other reads)
LEDGER_PAGE = 500          # ledger entries per find
LEDGER_ORDER = [("workspace_id", 1), ("order", 1)]     # the (workspace_id, order) index's order


async def wallet_pages(wallets: AsyncCollection,
                       workspace_ids: list[str] | None) -> AsyncIterator[list[dict]]:
    """Every wallet (or those of `workspace_ids`) by `_id`, `WALLET_PAGE` per find.

    NX-27017 workaround: MongoDB would resume with `{_id: {$gt: last}}` from the `_id` index;
    NX-27017 answers a range on `_id` by reading the whole collection (6.3 s on 150,000
    documents), so the page starts at `min({_id: last})` (hinted by the `_id` index, which both
    accept; NX-27017 turns it into a bound on its `_id` column) and the first document, `last`
    itself, is dropped. A given list is read in chunks by `_id $in` (from the index on both)."""
    if workspace_ids is not None:
        wanted = sorted(set(workspace_ids))
        for start in range(0, len(wanted), WALLET_PAGE):
            chunk = wanted[start:start + WALLET_PAGE]
            page = await wallets.find({"_id": {"$in": chunk}}).sort("_id", 1) \
                .batch_size(len(chunk)).to_list(None)
            if page:
                yield page
        return
    last = None
    while True:
        cursor = wallets.find({}).sort("_id", 1)
        if last is not None:
            cursor = cursor.min([("_id", last)]).hint([("_id", 1)])
        want = WALLET_PAGE + (last is not None)
        page = await cursor.limit(want).batch_size(want).to_list(None)
        got = len(page)
        page = [d for d in page if last is None or d["_id"] > last]
        if page:
            yield page
            last = page[-1]["_id"]
        if got < want:
            return


async def ledger_entries(ledger: AsyncCollection, first: str, last: str,
                         projection: dict) -> AsyncIterator[dict]:
    """The ledger entries of the workspaces from `first` to `last` (their ids), by workspace id
    and then `order` (unique within a workspace: `seq * 1000 + index`), `LEDGER_PAGE` per find,
    each from the `(workspace_id, order)` index: after a full page ending at (w, o), the rest of w
    (`{workspace_id: w, order: {$gt: o}}`), then the workspaces after w. Two finds rather than
    one `$or` of both: NX-27017 scans the collection for an `$or` of ranges."""
    lower: dict = {"$gte": first}
    while True:
        page = await _page(ledger, {"workspace_id": {**lower, "$lte": last}}, projection)
        for doc in page:
            yield doc
        if len(page) < LEDGER_PAGE:
            return
        workspace, order = page[-1]["workspace_id"], page[-1]["order"]
        while len(page) == LEDGER_PAGE:
            page = await _page(ledger, {"workspace_id": {"$eq": workspace},
                                        "order": {"$gt": order}}, projection)
            for doc in page:
                yield doc
            if page:
                order = page[-1]["order"]
        lower = {"$gt": workspace}


async def _page(ledger: AsyncCollection, query: dict, projection: dict) -> list[dict]:
    return await ledger.find(query, projection).sort(LEDGER_ORDER).limit(LEDGER_PAGE) \
        .batch_size(LEDGER_PAGE).to_list(None)     # one reply: no getMore
