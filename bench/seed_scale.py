"""bench/compare.py's workspaces and stored messages at scale (issue 16), seeded in bulk.

Workspaces: the first is created through the API (`POST /v1/workspaces`, Free, one phone
number); its documents (workspace, phone number, subscription, wallet, its grant in the ledger)
are copied for every other phone number with the ids swapped, by `insert_many` in the stored
schema, exactly as the service wrote them (bench/billing_run.py does the same); not its API key
nor its events (`COPIED`). One deliberate change: a copy's wallet `updated_ms` is set 2 hours back, as for a
workspace not written in the last hour, because the recovery sweep reads every wallet written in
its one-hour window (service/whatsapp/webhooks.py, FINALIZE_WINDOW) and would otherwise read
all the copies every 30 s during the runs.

Stored messages: the first 100 are charged through the service (one signed 100-status POST); the
rest, 100 per payload like them, are written in the stored schema: the raw payload (the exact
signed body, its SHA-256 as id) and the message records copied from the ones the service wrote,
and the ledger entries computed by the service's own pure code (`billing.charging.charge_intent`,
`billing.wallet.apply_intent`, `service.mongo.docs.entry_to_doc`, one wallet `seq` per payload),
then each wallet replaced with its new balances and `seq` (conditional on the `seq` read). No
low-balance events are written for them. Reconcile and the wallet check see them like any.
"""
from __future__ import annotations

import asyncio, hashlib, json, os, time  # noqa: E401
from datetime import datetime, timezone
from pathlib import Path

from pymongo import AsyncMongoClient, ReplaceOne
from pymongo.errors import BulkWriteError

from billing.charging import charge_intent
from billing.rates import RateCard
from billing.wallet import BALANCE_KINDS, apply_intent
from service.mongo.docs import buckets_from_doc, buckets_to_doc, entry_to_doc, to_ms
from service.subscriptions.plans import plan_rates

COPIED = ("workspaces", "phone_numbers", "subscriptions", "wallets", "ledger")
# Not copied: the API key (nobody would hold it: the checks read as the admin) and the two events
# of a new workspace (nothing in the runs or the checks reads them); they cost 1.6 of the 3 ms a
# copy takes on NX-27017 (8 indexes on `events`).
CHUNK = 5_000            # workspaces per insert_many
PAYLOADS_PER_CHUNK = 50  # stored payloads (of 100 messages) per round of inserts
BACKDATE_MS = 2 * 3600 * 1000


def open_stores(data_dir: Path, db_name: str = "saldo") -> tuple[AsyncMongoClient, AsyncMongoClient, object, object]:
    """The running service's two embedded stores, found by their address files."""
    uris = [json.loads((data_dir / sub / "nx-27017.json").read_text())["uri"] for sub in (".", "whatsapp-log")]
    main, log = AsyncMongoClient(uris[0]), AsyncMongoClient(uris[1])
    return main, log, main[db_name], log[db_name]


def store_cpu(data_dir: Path) -> float:
    """CPU seconds the embedded store of `data_dir` has used (a load-independent cost)."""
    pid = json.loads((data_dir / "nx-27017.json").read_text())["pid"]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def replaced(value, swaps: dict[str, str]):
    if isinstance(value, str):
        for old, new in swaps.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: replaced(v, swaps) for k, v in value.items()}
    if isinstance(value, list):
        return [replaced(v, swaps) for v in value]
    return value


async def seed_workspaces(db, template_id: str, template_phone: str, phones: list[str],
                          run: str) -> list[str]:
    """Copies of the template for `phones` (ids `ws_<run>…`); → their workspace ids."""
    docs = {c: await db[c].find({"$or": [{"_id": template_id}, {"workspace_id": template_id}]}).to_list(None)
            for c in COPIED}
    ids, t0 = [], time.perf_counter()
    for start in range(0, len(phones), CHUNK):
        batch: dict[str, list[dict]] = {c: [] for c in COPIED}
        for k in range(start, min(start + CHUNK, len(phones))):
            ws_id = f"ws_{run}{k:010d}"
            swaps = {template_id: ws_id, template_phone: phones[k]}
            for c in COPIED:
                batch[c] += [replaced(d, swaps) for d in docs[c]]
            ids.append(ws_id)
        for wallet in batch["wallets"]:
            wallet["updated_ms"] -= BACKDATE_MS
        await asyncio.gather(*(db[c].insert_many(batch[c], ordered=False) for c in COPIED if batch[c]))
        if len(phones) > CHUNK:
            print(f"  seeded {len(ids)}/{len(phones)} workspaces ({time.perf_counter() - t0:.0f} s)", flush=True)
    return ids


def status_body(phone: str, wamids: list[str], ts: int) -> str:
    """A signed-as-is body: 100 `delivered` service statuses of one phone number (compare.py's shape)."""
    statuses = [{"id": w, "status": "delivered", "timestamp": str(ts), "recipient_id": "6281234567890",
                 "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "service"}}
                for w in wamids]
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "62811" + phone[-6:], "phone_number_id": phone},
            "statuses": statuses}}]}]}, separators=(",", ":"))


class MessageSeeder:
    """Writes stored payloads of 100 charged messages each, after a first one the service charged."""

    def __init__(self, db, log_db, owners: dict[str, str], first_body: str) -> None:
        self.db, self.log_db, self.owners, self.first_body = db, log_db, owners, first_body

    async def prepare(self) -> None:
        payload_id = hashlib.sha256(self.first_body.encode()).hexdigest()
        self.payload = await self.log_db.wa_payloads.find_one({"_id": payload_id})
        first_wamid = json.loads(self.first_body)["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
        self.record = await self.log_db.wa_messages.find_one({"_id": first_wamid})
        if self.payload is None or self.record is None or not self.payload.get("processed_ms"):
            raise SystemExit("the first stored payload was not processed by the service")
        self.rates = RateCard((await plan_rates(self.db, ["free"]))["free"], {})
        self.wallets = {w["_id"]: w async for w in self.db.wallets.find(
            {"_id": {"$in": sorted(set(self.owners.values()))}})}
        self.state = {ws: (w["seq"], {b: buckets_from_doc(w["balances"][b], w.get("currency", "IDR"))
                                      for b in BALANCE_KINDS}) for ws, w in self.wallets.items()}

    def _payload(self, phone: str, wamids: list[str], ts: int, now: datetime) -> tuple[dict, list[dict], list[dict]]:
        ws = self.owners[phone]
        body = status_body(phone, wamids, ts)
        payload = {**self.payload, "_id": hashlib.sha256(body.encode()).hexdigest(), "body": body.encode()}
        records = [{**self.record, "_id": w, "workspace_id": ws} for w in wamids]
        seq, buckets = self.state[ws]
        seq, entries = seq + 1, []
        for w in wamids:
            intent = charge_intent(w, "service", self.rates, inferred=False)
            buckets[intent.balance], made = apply_intent(buckets[intent.balance], intent)
            entries += [entry_to_doc(ws, e, intent, seq, seq * 1000 + len(entries) + i, now)
                        for i, e in enumerate(made)]
        self.state[ws] = (seq, buckets)
        return payload, records, entries

    async def seed(self, blocks: list[tuple[str, list[str]]], ts: int) -> None:
        """`blocks`: (phone, its 100 wamids) per payload, written in rounds on both stores at once."""
        now, t0 = datetime.now(timezone.utc), time.perf_counter()
        for start in range(0, len(blocks), PAYLOADS_PER_CHUNK):
            payloads, records, entries = [], [], []
            for phone, wamids in blocks[start:start + PAYLOADS_PER_CHUNK]:
                p, r, e = self._payload(phone, wamids, ts, now)
                payloads.append(p)
                records += r
                entries += e
            await asyncio.gather(self.log_db.wa_payloads.insert_many(payloads, ordered=False),
                                 self.log_db.wa_messages.insert_many(records, ordered=False),
                                 self.db.ledger.insert_many(entries, ordered=False))
            done = min(start + PAYLOADS_PER_CHUNK, len(blocks))
            if done % (PAYLOADS_PER_CHUNK * 20) == 0 or done == len(blocks):
                print(f"  stored {done * 100:,} messages ({time.perf_counter() - t0:.0f} s)", flush=True)
        await self._write_wallets(now)

    async def _write_wallets(self, now: datetime) -> None:
        journaled = [d for w in self.wallets.values() for d in json.loads(w.get("last") or "[]")]
        if journaled:   # the service's last write finalized them; make sure before `last` is emptied
            try:
                await self.db.ledger.insert_many(journaled, ordered=False)
            except BulkWriteError as exc:
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
        ops = [ReplaceOne({"_id": ws, "seq": self.wallets[ws]["seq"]}, {
            **self.wallets[ws], "seq": seq, "last": "[]",
            "updated_ms": to_ms(now), "balances": {b: buckets_to_doc(buckets[b]) for b in BALANCE_KINDS}})
            for ws, (seq, buckets) in self.state.items() if seq != self.wallets[ws]["seq"]]
        if ops:
            result = await self.db.wallets.bulk_write(ops, ordered=False)
            if result.matched_count != len(ops):
                raise SystemExit(f"stored messages: {len(ops) - result.matched_count} wallets changed meanwhile")


async def wallets_exact(db, expected: dict[str, dict[str, int]]) -> list[str]:
    """Every expected wallet, read from the store in one pass, compared to the rupiah; → the
    mismatches (a wallet not found is one)."""
    bad, found = [], set()
    async for w in db.wallets.find({}, {"balances": 1}):
        want = expected.get(w["_id"])
        if want is None:
            continue
        found.add(w["_id"])
        got = {f"{b}.{k}": w["balances"][b][k] for b in BALANCE_KINDS for k in ("granted", "purchased", "arrears")}
        if got != want:
            bad.append(f"  MISMATCH {w['_id']}: expected {want} got {got}")
    return bad + [f"  MISSING wallet {ws}" for ws in expected.keys() - found]


async def reconcile_in_process(data_dir: Path, workspace_ids: list[str] | None, db_name: str = "saldo") -> int:
    """The same reconcile (`each_workspace`) in this process, on the running service's store, one
    workspace at a time, with a 10-minute store timeout: for when the service's own answers 503
    because one window's ledger find (200 workspaces at once: 1,000,000 entries for 100 of them)
    holds the embedded server past its 2 s timeout. → the number of workspaces not reconciled."""
    from datetime import timedelta
    from service.reconcile.reconcile import each_workspace
    from service.runtime.bootstrap import open_services
    from service.runtime.clock import SystemClock
    from service.runtime.settings import Settings
    settings = Settings(data_dir=data_dir, mongodb_db=db_name, store_timeout=timedelta(minutes=10))
    failing = 0
    async with open_services(settings, SystemClock(), whatsapp_log=False) as svc:
        if workspace_ids is None:    # every wallet's
            workspace_ids = [w["_id"] async for w in svc.db.wallets.find({}, {"_id": 1})]
        for ws in workspace_ids:
            failing += sum([not w.ok async for w in each_workspace(svc, [ws])])
    return failing
