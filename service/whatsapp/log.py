"""MongoDB side of WhatsApp billing: raw payloads (`service.whatsapp.payloads`), per-wamid message
records, inbound messages."""
from __future__ import annotations

import logging
from datetime import datetime

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from billing.charging import MessageRecord
from billing.whatsapp import InboundMessage, OtherChange, StatusUpdate
from service.mongo.batching import GroupCommit
from service.mongo.docs import from_ms, to_ms
from service.mongo.filters import explicit
from service.mongo.store import WHATSAPP_LOG
from service.mongo.recent import Recent
from service.whatsapp.payloads import PayloadLog, ignore_duplicates

log = logging.getLogger("saldo.whatsapp")
BACKFILL_PAGE = 10_000     # message records an upgrade's one-time backfill reads per sweep
RECENT_MESSAGES = 50_000   # wamids whose record this process wrote lately (a hint, ~8 MB)
RECENT_PAYLOADS = 10_000   # bodies this process stored lately (a hint, ~1 MB)
FLUSH_RECORDS = 400        # message records one flush takes from the queue (summed)
MAX_BATCH = 2000           # items per group-committed flush (service/mongo/batching.py)


class MongoWhatsAppLog(PayloadLog):
    """The WhatsApp log's collections (`service.mongo.store.WHATSAPP_LOG`), all in `db`. What
    routes events and prices them is read elsewhere (`service.whatsapp.routing`)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        # The collection objects, made once: `db.name` builds a new one at every access.
        self.collection: dict[str, AsyncCollection] = {name: db[name] for name in WHATSAPP_LOG}
        # Bookkeeping writes whose loss is harmless (a crash before the flush only makes the
        # sweep redo idempotent work), not awaited: one bulk write per collection, one loop turn
        # after the first of them (`enqueue(ops, collection)`; `close()` flushes them).
        self.marks: GroupCommit[str, list[UpdateOne], None] = GroupCommit(
            self._write_marks, delay=0)
        self._payload_inserts: GroupCommit[None, dict, bool] = GroupCommit(
            self._insert_payloads, max_batch=MAX_BATCH)
        # At most FLUSH_RECORDS records a flush (summed over requests; a larger request goes
        # alone): 32 bodies of 100 statuses are written in steps, and the ledger (the other
        # store) charges the first while the next are written, instead of waiting for all.
        self._status_writes: GroupCommit[None, list[tuple[str, dict]], set[str]] = GroupCommit(
            self._write_statuses, max_batch=FLUSH_RECORDS, weight=len)
        self._recent: Recent[str, None] = Recent(RECENT_MESSAGES)
        self._stored_lately: Recent[str, None] = Recent(RECENT_PAYLOADS)
        self._message_reads: GroupCommit[None, set[str], list[dict]] = GroupCommit(
            self._read_messages, max_batch=MAX_BATCH)
        self._backfilled = False   # records older than `awaiting_ms` have theirs (see below)

    async def _write_marks(self, collection: str, batches: list[list[UpdateOne]]) -> list[None]:
        ops = [op for batch in batches for op in batch]
        try:
            if ops:
                await self.collection[collection].bulk_write(ops, ordered=False)
        except Exception:
            log.exception("deferred marks on %s lost; the sweep will redo them", collection)
        return [None] * len(batches)

    # --- events -------------------------------------------------------------------------
    async def record_inbound(self, routed: list[tuple[str, InboundMessage]]) -> None:
        docs = [{"_id": m.wamid, "workspace_id": ws, "wa_id": m.wa_id, "user_id": m.user_id,
                 "timestamp": m.timestamp, "ts_ms": to_ms(m.timestamp), "type": m.type}
                for ws, m in routed]
        try:
            await self.collection["wa_inbound"].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            ignore_duplicates(exc)

    async def record_statuses(self, routed: list[tuple[str, StatusUpdate]],
                              now: datetime) -> set[str]:
        # Bulk writes then a find, not find_one_and_update(upsert=True): NX-27017's
        # findAndModify ignores $setOnInsert and $addToSet (MongoDB applies them).
        return await self._status_writes.submit(
            [(s.wamid, self._status_update(ws, s, now)) for ws, s in routed])

    async def _write_statuses(self, _: None,
                              batches: list[list[tuple[str, dict]]]) -> list[set[str]]:
        """One flush for concurrent requests; per request, the records its own updates created.

        A message this process has not written lately is most likely new, so its first update
        is sent as an insert of the document the upsert would create (an insert costs NX-27017
        about two thirds of an upsert, bench/store_ops.py). Where the record exists after all
        (a duplicate key), and for every other update, a bulk upsert follows. Every operator
        is commutative ($max, $min, $setOnInsert, $set of the same values), so neither merging
        concurrent requests nor this split can change the outcome."""
        owner: dict[str, int] = {}       # wamid -> request whose update is tried as an insert
        first: dict[str, dict] = {}
        rest: list[tuple[int, str, dict]] = []
        for index, batch in enumerate(batches):
            for wamid, update in batch:
                if wamid in first or wamid in self._recent:
                    rest.append((index, wamid, update))
                else:
                    owner[wamid], first[wamid] = index, update
        created: list[set[str]] = [set() for _ in batches]
        if first:
            duplicates = await self._insert_new(
                [{"_id": wamid, **_as_new_document(update)} for wamid, update in first.items()])
            for wamid in first:
                if wamid in duplicates:
                    rest.append((owner[wamid], wamid, first[wamid]))
                else:
                    created[owner[wamid]].add(wamid)
        if rest:
            result = await self.collection["wa_messages"].bulk_write(
                [UpdateOne({"_id": wamid}, update, upsert=True) for _, wamid, update in rest],
                ordered=False)
            for i in result.upserted_ids:
                created[rest[i][0]].add(rest[i][1])
        for wamid in first:
            self._recent.add(wamid, None)
        return created

    async def _insert_new(self, docs: list[dict]) -> set[str]:
        """Insert message records; return the ids that already existed."""
        try:
            await self.collection["wa_messages"].insert_many(docs, ordered=False)
            return set()
        except BulkWriteError as exc:
            ignore_duplicates(exc)
            return {docs[e["index"]]["_id"] for e in exc.details["writeErrors"]}

    @staticmethod
    def _status_update(workspace_id: str, status: StatusUpdate, now: datetime) -> dict:
        update: dict = {
            "$setOnInsert": {"workspace_id": workspace_id},
            "$max": {"rank": status.rank},
            "$min": {"first_seen_ms": to_ms(status.timestamp)},
            "$set": {},
        }
        # Only values that are present: an absent id never erases a known one, and NX-27017
        # handles a null in $set ~30% slower (bench/store_ops.py).
        update["$set"].update({k: v for k, v in (("recipient_id", status.recipient_id),
                               ("recipient_user_id", status.recipient_user_id)) if v})
        if status.category:
            update["$set"].update({"category": status.category, "pricing": status.pricing})
            update["$unset"] = {"awaiting_ms": ""}
        if status.delivered:
            update["$min"]["delivered_seen_ms"] = to_ms(now)
            if not status.category:
                # Only records that may need the sweep's fallback charge carry `awaiting_ms`
                # (indexed): the sweep's find reads them, not every record ever delivered.
                # A category or a charge removes it; one that came earlier is dropped by the
                # sweep (`awaiting_charge`).
                update["$min"]["awaiting_ms"] = to_ms(now)
        if status.errors:
            update["$set"]["errors"] = status.errors
        if not update["$set"]:
            del update["$set"]
        return update

    async def record_unrouted(self, payload_id: str, events: list, now: datetime) -> None:
        docs = [{"_id": f"{payload_id}:{i}", "payload_id": payload_id, "received_at": now,
                 "phone_number_id": e.phone_number_id, "kind": type(e).__name__,
                 "wamid": getattr(e, "wamid", None)} for i, e in enumerate(events)
                if not isinstance(e, OtherChange)]
        if not docs:
            return
        try:
            await self.collection["wa_unrouted"].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            ignore_duplicates(exc)

    async def messages(self, wamids: set[str]) -> list[MessageRecord]:
        return [_record(d) for d in await self._message_reads.submit(wamids)]

    async def _read_messages(self, _: None, wanted: list[set[str]]) -> list[list[dict]]:
        every = set().union(*wanted)
        found = {d["_id"]: d async for d in self.collection["wa_messages"].find({"_id": {"$in": list(every)}})}
        return [[found[w] for w in wamids if w in found] for wamids in wanted]

    async def mark_charged(self, charged: dict[str, str]) -> None:
        self.marks.enqueue([UpdateOne({"_id": wamid}, {"$set": {"charge_key": key},
                                                       "$unset": {"awaiting_ms": ""}})
                            for wamid, key in charged.items()], "wa_messages")

    async def had_inbound(self, workspace_id: str, customer_ids: set[str], since: datetime,
                          until: datetime) -> bool:
        ids = list(customer_ids)
        found = await self.collection["wa_inbound"].find_one(explicit({
            "workspace_id": workspace_id, "ts_ms": {"$gte": to_ms(since), "$lte": to_ms(until)},
            "$or": [{"wa_id": {"$in": ids}}, {"user_id": {"$in": ids}}]}))
        return found is not None

    async def awaiting_charge(self, delivered_before: datetime,
                              limit: int) -> list[MessageRecord]:
        """Delivered by `delivered_before`, no category, not charged. The find reads only
        records carrying `awaiting_ms`; one whose category came before its delivered status
        (or a duplicate delivered status after the charge) carries it too: it is dropped here,
        and its `awaiting_ms` removed."""
        if not self._backfilled:
            await self._backfill_page()
        docs = [d async for d in self.collection["wa_messages"].find(
            {"awaiting_ms": {"$lte": to_ms(delivered_before)}}).limit(limit)]
        done = [d["_id"] for d in docs if d.get("category") or d.get("charge_key")]
        if done:
            self.marks.enqueue([UpdateOne({"_id": wamid}, {"$unset": {"awaiting_ms": ""}})
                                for wamid in done], "wa_messages")
        return [_record(d) for d in docs if not (d.get("category") or d.get("charge_key"))]

    async def _backfill_page(self) -> None:
        """Upgrade: records written before `awaiting_ms` existed get it, one page (in `_id`
        order) per sweep so that no sweep holds the store long; progress and completion are
        kept in `wa_upgrades`, so a deployment does it once, and a crash only repeats a page.
        The write's filter keeps a category or charge that came meanwhile from being undone."""
        upgrades, messages = self.collection["wa_upgrades"], self.collection["wa_messages"]
        state = await upgrades.find_one({"_id": "awaiting_ms"}) or {}
        if state.get("done"):
            self._backfilled = True
            return
        after = {"_id": {"$gt": state["after"]}} if "after" in state else {}
        fields = {"delivered_seen_ms": 1, "awaiting_ms": 1, "category": 1, "charge_key": 1}
        page = [d async for d in messages.find(after, fields).sort("_id", 1).limit(BACKFILL_PAGE)]
        ops = [UpdateOne({"_id": d["_id"], "charge_key": None, "category": None},
                         {"$min": {"awaiting_ms": d["delivered_seen_ms"]}}) for d in page
               if d.get("delivered_seen_ms") is not None and "awaiting_ms" not in d
               and not d.get("category") and not d.get("charge_key")]
        if ops:
            await messages.bulk_write(ops, ordered=False)
        progress = {"after": page[-1]["_id"]} if page else {}
        await upgrades.update_one({"_id": "awaiting_ms"}, {"$set": {
            **progress, "done": len(page) < BACKFILL_PAGE}}, upsert=True)
        self._backfilled = len(page) < BACKFILL_PAGE


def _as_new_document(update: dict) -> dict:
    """The fields an upsert with `update` gives a record that did not exist."""
    assert set(update) <= {"$setOnInsert", "$set", "$max", "$min", "$unset"}, update
    return {k: v for op, fields in update.items() if op != "$unset" for k, v in fields.items()}


def _record(doc: dict) -> MessageRecord:
    return MessageRecord(
        wamid=doc["_id"], workspace_id=doc["workspace_id"], recipient_id=doc.get("recipient_id"),
        recipient_user_id=doc.get("recipient_user_id"), category=doc.get("category"),
        rank=doc.get("rank", 0), first_seen=from_ms(doc.get("first_seen_ms")),
        delivered_seen_at=from_ms(doc.get("delivered_seen_ms")), charge_key=doc.get("charge_key"))

