"""One flush for the ledger posts queued on every wallet (issue 16): a constant number of store
commands, whatever the number of wallets in it. The protocol is service/wallet/ledger.py's,
applied to every wallet of the flush at once:

1. No read when this process remembers every wallet of the flush (its own last, finalized
   write). Else one `find` (`_id: {$in}`) of them all: with several processes a remembered copy
   is often stale, and a stale one costs a lost write, so a wallet found stale once (`shared`)
   is read until a read shows nobody else wrote in between. Alerts journaled in a document read
   are inserted first, as in the single-wallet path.
2. One ledger `find` for every intent key and every journal entry of the flush; the journals'
   unfinalized entries in one insert; the entries of intents applied already in one more find
   (replays only). The rest is applied per wallet (journal.py: no I/O).
3. Every wallet in one unordered `bulk_write` of conditional replacements `{_id, seq: n}`: one
   `update` command. Each replacement and each of its entries carries this flush's `writer`
   token. A bulk result only gives totals, so when some but not all matched, one `find` tells
   the winners: the wallets that carry the token, or whose journal or ledger entries do (a
   writer that moved such a wallet on since finalized our entries before its own write).
4. The winners' new entries in one unordered `insert_many`; their alerts as in the single path;
   the winners answer when the flush returns. A loser's posts are queued again: the next flush
   reads its wallet afresh (its memory was dropped) without holding up anyone else. After
   MAX_LOST_FLUSHES lost flushes a wallet is retried alone (`MongoLedger.apply`, with backoff),
   and so is a wallet whose posts exceed MAX_INTENTS_PER_APPLY (chunked), the wallets beyond
   MAX_INTENTS_PER_FLUSH, and a wallet that does not exist (LookupError).

Crash safety is the protocol's: before step 3 nothing changed; after it, each won wallet's
`last` holds its entries until step 4 (or the next writer, or the sweep) inserts them.
"""
from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Union

from pymongo import ReplaceOne

from billing.wallet import Entry, LedgerIntent, Posted
from service.wallet import alerts
from service.wallet.journal import WalletWrite, unjournal, wallet_write

if TYPE_CHECKING:
    from service.wallet.ledger import MongoLedger

MAX_INTENTS_PER_APPLY = 400     # per wallet write (a larger post goes alone, chunked)
MAX_INTENTS_PER_FLUSH = 4_000   # the wallets beyond it go alone
MAX_LOST_FLUSHES = 3            # then the wallet is retried alone, with backoff


@dataclass(frozen=True, slots=True)
class Post:
    workspace_id: str
    intents: list[LedgerIntent]
    now: datetime
    lost: int = 0                   # flushes whose conditional write this post lost
    entries: bool = True            # read back the entries of intents applied before


Answer = Union[Posted, Awaitable["Answer"]]    # a requeued post's: its next flush's answer


@dataclass(eq=False)
class Share:
    """One wallet's part of a flush."""
    id: str
    posts: list[Post] = field(default_factory=list)
    intents: list[LedgerIntent] = field(default_factory=list)     # unique keys, in order
    doc: dict | None = None
    results: dict[str, list[Entry]] = field(default_factory=dict)
    todo: list[LedgerIntent] = field(default_factory=list)
    write: WalletWrite | None = None


async def flush(ledger: MongoLedger, posts: list[Post]) -> list[Answer]:
    """→ per post, its Posted, or an awaitable of it (requeued or retried alone)."""
    now = max(p.now for p in posts)
    shares: dict[str, Share] = {}
    for post in posts:
        shares.setdefault(post.workspace_id, Share(post.workspace_id)).posts.append(post)
    batch, alone, total = [], [], 0
    for share in shares.values():
        share.intents = unique([i for p in share.posts for i in p.intents])
        total += len(share.intents)
        fits = len(share.intents) <= MAX_INTENTS_PER_APPLY and total <= MAX_INTENTS_PER_FLUSH
        lost = max(p.lost for p in share.posts)
        (batch if fits and lost < MAX_LOST_FLUSHES else alone).append(share)
    await _read(ledger, batch)
    alone += [s for s in batch if s.doc is None]    # apply raises LookupError
    batch = [s for s in batch if s.doc is not None]
    token = secrets.token_hex(8)
    await _decide(ledger, batch, now, token)
    writing = [s for s in batch if s.todo]
    won = await _write(ledger, writing, token)
    await _finish(ledger, [s for s in writing if s.id in won])
    answers: dict[int, Answer] = {}
    for share in batch:
        if share.todo and share.id not in won:
            ledger.shared.add(share.id, True)
            for p in share.posts:
                answers[id(p)] = ledger.requeue(replace(p, lost=p.lost + 1))
            continue
        applied_now = share.write.results if share.write is not None else {}
        fresh = Posted({**share.results, **applied_now}, {i.key for i in share.todo})
        answers.update(zip(map(id, share.posts), per_post(share.posts, fresh)))
    for share in alone:
        whole = asyncio.ensure_future(ledger.apply(share.id, share.intents, now))
        for n, p in enumerate(share.posts):
            answers[id(p)] = asyncio.ensure_future(_nth(whole, share.posts, n))
    return [answers[id(p)] for p in posts]


async def _read(ledger: MongoLedger, shares: list[Share]) -> None:
    """Step 1: every wallet from this process's memory of its last write, or, when one of them
    is not remembered or is written by other processes too (`shared`), all in one find."""
    memory = {s.id: ledger.remembered.take(s.id) for s in shares}
    if all(m is not None and i not in ledger.shared for i, m in memory.items()):
        for share in shares:
            share.doc = memory[share.id]
        return
    by_id = {s.id: s for s in shares}
    async for doc in ledger.wallets.find({"_id": {"$in": list(by_id)}}):
        mine = memory[doc["_id"]]
        if mine is not None and mine["seq"] == doc["seq"]:     # nobody else wrote it since
            by_id[doc["_id"]].doc = mine
            ledger.shared.take(doc["_id"])
            continue
        if mine is not None:
            ledger.shared.add(doc["_id"], True)
        by_id[doc["_id"]].doc = doc
        await alerts.finalize(ledger.db, doc["_id"], doc.get("events"))


async def _decide(ledger: MongoLedger, shares: list[Share], now: datetime, token: str) -> None:
    """Step 2: finalize the journals read; what is applied already; the writes of the rest."""
    journals = {s.id: unjournal(s.doc) for s in shares}
    ids = [i.key for s in shares for i in s.intents] + [
        d["_id"] for journal in journals.values() for d in journal]
    if not ids:
        return
    found = {d["_id"] async for d in ledger.entries.find({"_id": {"$in": ids}}, {"_id": 1})}
    await ledger.finalize([d for journal in journals.values() for d in journal
                           if d["_id"] not in found], check=False)
    applied = {s.id: (found | {d["intent_key"] for d in journals[s.id]})
               & {i.key for i in s.intents} for s in shares}
    wanted = {i.key for s in shares for p in s.posts if p.entries for i in p.intents}
    every = set().union(*applied.values()) & wanted
    existing = await ledger.existing_results(every) if every else {}
    for share in shares:
        share.results = {k: v for k, v in existing.items() if k in applied[share.id]}
        share.todo = [i for i in share.intents if i.key not in applied[share.id]]
        if share.todo:
            share.write = wallet_write(share.doc, share.id, share.todo, now, token)


async def _write(ledger: MongoLedger, shares: list[Share], token: str) -> set[str]:
    """Step 3: every wallet's conditional replace in one command. → the winners' ids."""
    if not shares:
        return set()
    result = await ledger.wallets.bulk_write(
        [ReplaceOne({"_id": s.id, "seq": s.doc["seq"]}, s.write.replacement) for s in shares],
        ordered=False)
    if result.matched_count == len(shares):
        return {s.id for s in shares}
    if result.matched_count == 0:
        return set()
    return await _winners(ledger, shares, token)


async def _winners(ledger: MongoLedger, shares: list[Share], token: str) -> set[str]:
    """The wallets of a partly matched bulk write that carry this flush's write."""
    by_id = {s.id: s for s in shares}
    won, unsure = set(), {}
    async for doc in ledger.wallets.find({"_id": {"$in": list(by_id)}},
                                            {"seq": 1, "writer": 1, "last": 1}):
        share = by_id[doc["_id"]]
        if doc.get("writer") == token or any(d.get("writer") == token for d in unjournal(doc)):
            won.add(share.id)
        elif doc["seq"] > share.doc["seq"] + 1:     # moved on since: by us first, or not?
            unsure[share.write.entry_docs[0]["_id"]] = share.id
    if unsure:
        async for d in ledger.entries.find({"_id": {"$in": list(unsure)}, "writer": token},
                                             {"_id": 1}):
            won.add(unsure[d["_id"]])
    return won


async def _finish(ledger: MongoLedger, won: list[Share]) -> None:
    """Step 4: the winners' entries into the ledger, their alerts, and remember them."""
    if not won:
        return
    if ledger.metrics is not None:
        ledger.metrics.applied([i for s in won for i in s.todo])
    await ledger.finalize([d for s in won for d in s.write.entry_docs], check=False)
    for share in won:
        await alerts.finalize(ledger.db, share.id, share.write.events)
        ledger.remembered.add(share.id, {**share.write.replacement, "last": "[]",
                                         "events": alerts.NO_EVENTS})


def unique(intents: list[LedgerIntent]) -> list[LedgerIntent]:
    """One intent per key (the first), in order."""
    return list({i.key: i for i in reversed(intents)}.values())[::-1]


def per_post(posts: list[Post], posted: Posted) -> list[Posted]:
    """Each post's own result; a key applied now is fresh for its first poster only."""
    claimed: set[str] = set()
    results = []
    for post in posts:
        fresh = {i.key for i in post.intents if i.key in posted.fresh} - claimed
        claimed |= fresh
        results.append(Posted({i.key: posted.get(i.key, []) for i in post.intents}, fresh))
    return results


async def _nth(whole: asyncio.Future, posts: list[Post], n: int) -> Posted:
    return per_post(posts, await asyncio.shield(whole))[n]
