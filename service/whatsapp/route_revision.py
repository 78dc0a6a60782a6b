"""The routes' revision (issue 16, 100,000 workspaces): one small document that every change of a
route moves, so that a process can keep a route it read until the revision moves instead of a few
seconds (service/whatsapp/routing.py). The only code that sees the `routing` collection.

`{_id: "revision", n: <counter>, open: {<token>: 1, ...}}`. A change of a route (a phone number
moved or released, a workspace's plan or rate overrides, a plan's rates) runs inside `changing()`:

1. before its writes: `n` + 1 and its token added to `open` (the change is in progress);
2. its writes;
3. after them: `n` + 1 and its token removed (also when the writes failed).

A reader that finds `n` as it was last time knows that no change began or ended since; while
`open` holds a token, a change may be writing, so what it reads then it keeps a few seconds only.
A writer that dies between 1 and 3 leaves its token: readers ignore (and remove) a token they
have seen open for `WRITE_LEASE`, so a crashed change costs other processes their long-lived
cache for that long, never its freshness, unless its write lands more than `WRITE_LEASE` after
step 1. Concurrent changes in a process (the billing pass's plan changes) share steps 1 and 3:
one command each per flush (service/mongo/batching.py), not per change.
"""
from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

from service.mongo.batching import GroupCommit

log = logging.getLogger("saldo.routing")
DOC_ID = "revision"
WRITE_LEASE = 600.0   # s a reader sees a change in progress before it takes its writer for dead


@dataclass(frozen=True, slots=True)
class Revision:
    n: int                      # moved by every change of a route, when it begins and ends
    open: frozenset[str]        # the tokens of the changes in progress


class RouteRevision:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db.routing
        self._begins: GroupCommit[None, None, str] = GroupCommit(self._begin)
        self._ends: GroupCommit[None, str, None] = GroupCommit(self._end)
        self._inside: dict[str, int] = {}      # token → changes of this process not ended

    async def read(self) -> Revision:
        doc = await self.collection.find_one({"_id": DOC_ID}) or {}
        return Revision(doc.get("n", 0), frozenset(doc.get("open") or ()))

    @contextlib.asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """Around the writes of a change of routes (steps 1 and 3 of the module's docstring)."""
        token = await self._begins.submit(None)
        try:
            yield
        finally:
            self._inside[token] -= 1
            if not self._inside[token]:     # the last change of its flush: step 3
                del self._inside[token]
                try:
                    await self._ends.submit(token)
                except Exception:           # the change itself is written: readers drop the token
                    log.warning("routing revision: a change could not be closed", exc_info=True)

    async def drop(self, tokens: list[str]) -> None:
        """Remove the tokens of changes whose writers died (readers saw them for WRITE_LEASE)."""
        await self.collection.update_one({"_id": DOC_ID},
                                         {"$unset": {f"open.{t}": "" for t in tokens}})

    async def _begin(self, _: None, changes: list[None]) -> list[str]:
        token = "t" + secrets.token_hex(6)
        await self.collection.update_one({"_id": DOC_ID},
                                         {"$inc": {"n": 1}, "$set": {f"open.{token}": 1}},
                                         upsert=True)
        self._inside[token] = len(changes)  # counted here: none can end before all began
        return [token] * len(changes)

    async def _end(self, _: None, tokens: list[str]) -> list[None]:
        await self.collection.update_one({"_id": DOC_ID}, {
            "$inc": {"n": 1}, "$unset": {f"open.{t}": "" for t in tokens}})
        return [None] * len(tokens)
