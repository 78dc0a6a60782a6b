"""Concurrent callers' conditional single-document writes (`update_one`, `replace_one`), each
filtered on its own `_id`, as one unordered `bulk_write` per collection per flush
(service/mongo/batching.GroupCommit), each caller still told whether ITS write matched.

A bulk write reports totals only (`nMatched`), so every op carries a token of its own: its
update also `$set`s `_writer` to it (a replacement carries it as a field). Then:
- `nMatched` == the number of ops: every op matched (the common case: one command);
- 0: none did;
- else one `find` of the group's `_id`s (`_writer` only): an op matched iff its document
  carries its token.
Two ops on one `_id` never share a bulk (the second waits for the next flush, so the token
read back can only be the last op's). An op the server rejects (`writeErrors[i]`) raises its
own `WriteError` (`DuplicateKeyError` for code 11000) to its own caller only.

Why this is correct on MongoDB (its documented semantics, which NX-27017 follows too):
- A write is atomic on one document, and `updateOne`/`replaceOne` (`multi: false`) modifies at
  most one document, the first its filter matches; the filter names the `_id`, so at most
  that one. Each op is therefore decided alone, as the single command would have been, and
  an unordered bulk lets the others go on when one fails (its index in `writeErrors`).
- `nMatched` counts the documents the ops selected: with one op per `_id` and at most one
  match each, `nMatched == len(ops)` means each op matched (no read needed), and a token is
  written only by the op that carries it (tokens are random per flush and numbered per op).
- A token found means its op matched. A token missing means it did not, or that another
  writer replaced or re-tokened the document between the bulk and the read-back: the caller
  then hears "not matched" for a write that happened. Every caller of the billing pass
  treats "not matched" as "someone wrote first: read again and decide again", and a decision
  re-made from the stored state is exactly what a process that died right after the write
  does on its next pass (every step is idempotent: versioned writes, deterministic ids and
  ledger keys), so this costs a re-read, never a second effect. The same holds when the
  read-back itself fails (every caller of that flush gets the error, as a command whose
  answer was lost).
- Upserts are not grouped (passed on): their matched/upserted outcome would need more than a
  token (the billing pass upserts only its report, once).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError
from pymongo.results import UpdateResult

from service.mongo.batching import GroupCommit

TOKEN = "_writer"
MATCHED = {"n": 1, "nModified": 1, "ok": 1.0}
MISSED = {"n": 0, "nModified": 0, "ok": 1.0}


@dataclass(frozen=True, slots=True)
class Write:
    id: Any                       # the `_id` its filter names
    filter: dict
    update: dict | None = None    # update_one's update, or
    replacement: dict | None = None   # replace_one's replacement


def groupable_id(value: Any) -> bool:
    return isinstance(value, (str, ObjectId))


def groupable(filter: Any, update: Any, *, replace: bool) -> bool:
    """An `_id` (str or ObjectId) filter and a plain update document (operators only, not a
    pipeline, not touching the token) or replacement (no operators; a token it carries, read
    with the document, is replaced by its own)."""
    if not (isinstance(filter, dict) and groupable_id(filter.get("_id"))
            and isinstance(update, dict) and update):
        return False
    operators = [k.startswith("$") for k in update]
    if replace:
        return not any(operators)
    if TOKEN in update:
        return False
    return all(operators) and TOKEN not in (update.get("$set") or {}) and all(
        isinstance(v, dict) and TOKEN not in v for v in update.values())


class GroupedWrites:
    def __init__(self, db: AsyncDatabase, max_batch: int) -> None:
        self._db = db
        self._commit: GroupCommit[str, Write, Any] = GroupCommit(self._flush,
                                                                  max_batch=max_batch)

    async def submit(self, collection: str, write: Write) -> UpdateResult:
        answer = await self._commit.submit(write, collection)
        while not isinstance(answer, (UpdateResult, Exception)):  # waited for the next flush
            answer = await answer
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def close(self) -> None:
        await self._commit.close()

    async def _flush(self, collection: str, writes: list[Write]) -> list[Any]:
        answers: list[Any] = [None] * len(writes)
        batch: list[int] = []
        later: list[int] = []               # one op per `_id` in a bulk: these go next
        seen: set = set()
        for n, write in enumerate(writes):
            (later if write.id in seen else batch).append(n)
            seen.add(write.id)
        flush = secrets.token_hex(8)
        tokens = {n: f"{flush}:{k}" for k, n in enumerate(batch)}
        ops = [_op(writes[n], tokens[n]) for n in batch]
        errors: dict[int, dict] = {}
        try:
            matched = (await self._db[collection].bulk_write(ops, ordered=False)).matched_count
        except BulkWriteError as exc:
            if exc.details.get("writeConcernErrors"):
                raise                       # applied or not, unknown: everyone hears it
            errors = {batch[e["index"]]: e for e in exc.details.get("writeErrors", [])}
            matched = exc.details.get("nMatched", 0)
        tried = [n for n in batch if n not in errors]
        won = set(tried) if matched == len(tried) else set() if matched == 0 else \
            await self._winners(collection, writes, tokens, tried)
        for n in batch:
            error = errors.get(n)
            answers[n] = (_error(error) if error else
                          UpdateResult(dict(MATCHED if n in won else MISSED), True))
        for n in later:                     # queued once this bulk is done, not before
            answers[n] = self._commit.enqueue(writes[n], collection)
        return answers

    async def _winners(self, collection: str, writes: list[Write], tokens: dict[int, str],
                       tried: list[int]) -> set[int]:
        """The ops whose document carries their token (one find)."""
        found = {d["_id"]: d.get(TOKEN) async for d in self._db[collection].find(
            {"_id": {"$in": [writes[n].id for n in tried]}}, {TOKEN: 1})}
        return {n for n in tried if found.get(writes[n].id) == tokens[n]}


def _op(write: Write, token: str) -> UpdateOne | ReplaceOne:
    if write.replacement is not None:
        return ReplaceOne(write.filter, {**write.replacement, TOKEN: token})
    update = dict(write.update or {})
    update["$set"] = {**(update.get("$set") or {}), TOKEN: token}
    return UpdateOne(write.filter, update)


def _error(error: dict) -> WriteError:
    kind = DuplicateKeyError if error.get("code") == 11000 else WriteError
    return kind(error.get("errmsg"), error.get("code"), error)
