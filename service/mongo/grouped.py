"""A database whose `find_one({"_id": id})` and `insert_one(doc)` are group-committed across
concurrent callers (service/mongo/batching.GroupCommit): the billing pass works on many
subscriptions at once, and every one of them reads its workspace, wallet, subscription, tax
configuration and account credit by `_id` and inserts its events, invoice, payment and order
one at a time, and writes its conditional updates (versioned saves, order and invoice
transitions) one at a time. Here those become one `find({_id: {$in: [...]}})`, one
`insert_many(ordered=False)` and one unordered `bulk_write` (service/mongo/grouped_writes.py:
how each caller learns whether its own update matched) per collection per flush; `batch`
gives a use case's own group commit the same scope (the invoice numbers of a flush).

Each caller gets exactly what the single command would have given it: the document or None (a
copy of its own when two callers asked for the same id in one flush), an `InsertOneResult`, or
an `UpdateResult` (matched 1 or 0), or
the same `DuplicateKeyError` / `WriteError` for its own document (an unordered insert_many
reports each document's error by its index; the other documents are inserted). A caller
awaits the flush that contains its command, so it still reads its own writes, and durability
is unchanged. Everything else (other filters, options, sessions, updates, cursors) is passed
to the real collection untouched.

On NX-27017 each command costs a fixed round trip, thread hop and lock, and PyMongo's own
per-command work, while `_id` `$in` is answered from the key (README, Differences of
NX-27017); on MongoDB the same batching saves round trips.
"""
from __future__ import annotations

import copy
from functools import partial
from typing import Any, Awaitable, Callable

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError
from pymongo.results import InsertOneResult, UpdateResult

from service.mongo.batching import GroupCommit
from service.mongo.filters import explicit
from service.mongo.grouped_writes import GroupedWrites, Write, groupable, groupable_id

MAX_BATCH = 500


class GroupedDatabase:
    """`db`, with its collections' `_id` reads and single inserts grouped (see above)."""

    def __init__(self, db: AsyncDatabase, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._reads: GroupCommit[tuple, Any, dict | None] = GroupCommit(
            self._read, max_batch=max_batch)
        self._inserts: GroupCommit[str, dict, Any] = GroupCommit(
            self._insert, max_batch=max_batch)
        self._finds: GroupCommit[tuple, Any, list[dict]] = GroupCommit(
            self._find_by, max_batch=max_batch)
        self._find_specs: dict[tuple, tuple[dict, list]] = {}
        self._writes = GroupedWrites(db, max_batch)
        self._batches: dict[str, GroupCommit] = {}
        # made once per name: PyMongo builds a new AsyncCollection at every `db.name`, a
        # cost the pass paid ~14 times per subscription
        self._collections: dict[str, GroupedCollection] = {}

    def __getitem__(self, name: str) -> "GroupedCollection":
        if name not in self._collections:
            self._collections[name] = GroupedCollection(self, self._db[name])
        return self._collections[name]

    def __getattr__(self, name: str) -> Any:
        if name in self.__dict__.get("_collections", {}):
            return self._collections[name]
        attr = getattr(self._db, name)
        if not isinstance(attr, AsyncCollection):
            return attr
        return self[name]

    def get_collection(self, name: str, *args, **kwargs) -> Any:
        if args or kwargs:
            return self._db.get_collection(name, *args, **kwargs)
        return self[name]

    def batch(self, name: str, flush: Callable[[AsyncDatabase, Any, list], Awaitable[list]],
              max_batch: int = MAX_BATCH) -> GroupCommit:
        """The group commit `name` of this database (made at its first use): `flush(db, key,
        items)` writes a batch on the real database, one result per item."""
        if name not in self._batches:
            self._batches[name] = GroupCommit(partial(flush, self._db), max_batch=max_batch)
        return self._batches[name]

    async def close(self) -> None:
        await self._reads.close()
        await self._inserts.close()
        await self._finds.close()
        await self._writes.close()
        for batch in self._batches.values():
            await batch.close()

    async def _read(self, key: tuple, ids: list) -> list[dict | None]:
        collection, projection = key
        wanted = list(dict.fromkeys(ids))
        found = {d["_id"]: d async for d in self._db[collection].find(      # one batch: no
            {"_id": {"$in": wanted}}, dict(projection) or None, batch_size=len(wanted))}  # getMore
        given: set = set()
        out = []
        for id_ in ids:
            doc = found.get(id_)
            out.append(copy.deepcopy(doc) if id_ in given and doc is not None else doc)
            given.add(id_)
        return out

    async def _insert(self, collection: str, docs: list[dict]) -> list:
        try:
            await self._db[collection].insert_many(docs, ordered=False)
            return [None] * len(docs)
        except BulkWriteError as exc:
            errors: list = [None] * len(docs)
            for error in exc.details.get("writeErrors", []):
                kind = DuplicateKeyError if error.get("code") == 11000 else WriteError
                errors[error["index"]] = kind(error.get("errmsg"), error.get("code"), error)
            return errors


    async def _find_by(self, key: tuple, values: list) -> list[list[dict]]:
        collection, field = key[:2]
        common, sort = self._find_specs[key]
        # NX-27017: `{field: {$in: [...]}}` on an indexed field scans the collection, an `$or`
        # of explicit equalities inside an explicit `$and` is answered from the index
        # (100 workspaces' orders among 30,000: 5 ms, against 0.65 s with `$in`).
        found: dict[Any, list[dict]] = {}
        wanted = list(dict.fromkeys(values))
        async for doc in self._db[collection].find({"$and": [explicit(common), {"$or": [
                {field: {"$eq": v}} for v in wanted]}]}, batch_size=max(101, 4 * len(wanted))):
            found.setdefault(doc.get(field), []).append(doc)
        for key_, direction in reversed(sort):        # stable: the last key first
            for docs in found.values():
                docs.sort(key=lambda d: d.get(key_), reverse=direction < 0)
        given: set = set()
        out = []
        for value in values:
            docs = found.get(value, [])
            out.append(copy.deepcopy(docs) if value in given else docs)
            given.add(value)
        return out


def _projection_key(projection: Any) -> tuple | None:
    """A hashable form of a projection that keeps `_id` (so results can be told apart), None
    for any other."""
    if projection is None:
        return ()
    if isinstance(projection, (list, tuple)) and all(isinstance(f, str) for f in projection):
        projection = {f: 1 for f in projection}
    if (not isinstance(projection, dict) or projection.get("_id", 1) in (0, False)
            or not all(isinstance(v, (int, bool)) for v in projection.values())):
        return None
    return tuple(sorted(projection.items()))


class GroupedCollection:
    def __init__(self, owner: GroupedDatabase, collection: AsyncCollection) -> None:
        self._owner = owner
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    async def find_one(self, filter: Any = None, *args, **kwargs) -> dict | None:
        """Grouped for `{"_id": id}` with at most a projection; else the real find_one."""
        options = dict(kwargs)
        if len(args) == 1 and "projection" not in options:
            options["projection"] = args[0]
        projection = _projection_key(options.pop("projection", None))
        if (len(args) > 1 or options or projection is None or not isinstance(filter, dict)
                or list(filter) != ["_id"] or not groupable_id(filter["_id"])):
            return await self._collection.find_one(filter, *args, **kwargs)
        return await self._owner._reads.submit(filter["_id"],
                                               (self._collection.name, projection))

    async def find_by(self, field: str, value: Any, common: dict,
                      sort: list[tuple[str, int]]) -> list[dict]:
        owner = self._owner
        key = (self._collection.name, field, repr(common), repr(sort))
        owner._find_specs.setdefault(key, (common, sort))
        return await owner._finds.submit(value, key)

    async def update_one(self, filter: Any, update: Any, *args, **kwargs) -> UpdateResult:
        """Grouped for an `_id` filter and an update document, no options (grouped_writes.py)."""
        if args or kwargs or not groupable(filter, update, replace=False):
            return await self._collection.update_one(filter, update, *args, **kwargs)
        return await self._owner._writes.submit(self._collection.name,
                                                Write(filter["_id"], filter, update=update))

    async def replace_one(self, filter: Any, replacement: Any, *args, **kwargs) -> UpdateResult:
        """Grouped for an `_id` filter, no options (grouped_writes.py)."""
        if args or kwargs or not groupable(filter, replacement, replace=True):
            return await self._collection.replace_one(filter, replacement, *args, **kwargs)
        return await self._owner._writes.submit(
            self._collection.name, Write(filter["_id"], filter, replacement=replacement))

    async def insert_one(self, document: dict, *args, **kwargs) -> InsertOneResult:
        if args or kwargs:
            return await self._collection.insert_one(document, *args, **kwargs)
        if "_id" not in document:
            document["_id"] = ObjectId()    # as insert_one does
        error = await self._owner._inserts.submit(document, self._collection.name)
        if error is not None:
            raise error
        return InsertOneResult(document["_id"], True)


async def find_by(collection: Any, field: str, value: Any, common: dict,
                  sort: list[tuple[str, int]] = ()) -> list[dict]:
    """The documents with `field` equal to `value` that match the equalities of `common`,
    sorted by `sort` (keys of comparable values): on a grouped collection, one find for the
    concurrent callers that share `field`, `common` and `sort`; else one find of its own."""
    if isinstance(collection, GroupedCollection):
        return await collection.find_by(field, value, common, list(sort))
    cursor = collection.find(explicit({field: value, **common}))
    return await (cursor.sort(list(sort)) if sort else cursor).to_list(None)
