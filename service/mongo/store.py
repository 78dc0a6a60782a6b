"""MongoDB wiring: the client, the database, and the indexes (created idempotently)."""
from __future__ import annotations

import time
from datetime import timedelta

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

# The store cannot be reached: no server selected within the client's timeout
# (ServerSelectionTimeoutError), a connection refused, reset or timed out (AutoReconnect,
# NetworkTimeout), a primary stepping down (NotPrimaryError): PyMongo's ConnectionFailure and
# its subclasses. A request answers 503 `store_unavailable` (handlers.http.errors_middleware);
# nothing was decided, so the caller (or Meta, or the payment provider) retries.
STORE_DOWN = ConnectionFailure
STARTUP_WAIT = timedelta(seconds=30)     # for the store at start-up; a request: its timeout

INDEXES: dict[str, list[tuple[list, dict]]] = {
    "ledger": [([("workspace_id", ASCENDING), ("order", DESCENDING)], {}),
               ],
    "wa_messages": [([("delivered_seen_ms", ASCENDING)], {}),
                    # issue 16: the sweep's overdue find (service.whatsapp.log.awaiting_charge);
                    # records without the field are not in its range
                    ([("awaiting_ms", ASCENDING)], {})],
    "wallets": [([("updated_ms", ASCENDING)], {})],
    "wa_inbound": [([("workspace_id", ASCENDING), ("wa_id", ASCENDING), ("ts_ms", ASCENDING)], {}),
                   ([("workspace_id", ASCENDING), ("user_id", ASCENDING), ("ts_ms", ASCENDING)], {})],
    "wa_payloads": [([("processed_ms", ASCENDING), ("received_ms", ASCENDING)], {})],
    "phone_numbers": [([("workspace_id", ASCENDING)], {})],
    "workspaces": [([("reseller_id", ASCENDING), ("created_at", ASCENDING)], {})],
    "api_keys": [([("workspace_id", ASCENDING)], {})],
    # NX-27017 cannot index `_id` inside a compound index ("JSON path error near '_id'").
    "invoices": [([("workspace_id", ASCENDING), ("code", ASCENDING)], {}),
                 ([("code", ASCENDING)], {"unique": True,
                                          "partialFilterExpression": {"code": {"$type": "string"}}}),
                 ([("status", ASCENDING), ("expires_at", ASCENDING)], {}),
                 ([("settled", ASCENDING), ("updated_at", ASCENDING)], {})],
    "topups": [([("workspace_id", ASCENDING)], {})],
    # issue 16: the billing run's due list, in epoch ms (`due.at`, still written for earlier
    # versions, is no longer indexed: RETIRED)
    "subscriptions": [([("due_ms", ASCENDING)], {})],
    # issue 4: orders per workspace and period
    "subscription_orders": [([("workspace_id", ASCENDING), ("period_start", ASCENDING)], {})],
    "payments": [([("status", ASCENDING)], {}),
                 ([("resolved", ASCENDING), ("updated_at", ASCENDING)], {})],
    "payment_callbacks": [([("payment_id", ASCENDING)], {})],
    # issue 5: add-on names are unique; add-on orders per workspace
    "addons": [([("name", ASCENDING)], {"unique": True})],
    "addon_orders": [([("workspace_id", ASCENDING), ("period_start", ASCENDING)], {})],
    "resellers": [([("created_at", ASCENDING)], {})],
    # issue 15: GET /v1/events (newest first, per tenant). Every event inserted writes each of
    # these (~0.02-0.05 ms an index on NX-27017; a billing pass inserts about two per
    # subscription): RETIRED lists the two it no longer has
    "events": [([("order", ASCENDING)], {}),
               ([("workspace_id", ASCENDING), ("order", ASCENDING)], {}),
               ([("reseller_id", ASCENDING), ("order", ASCENDING)], {}),
               ([("object_id", ASCENDING), ("type", ASCENDING), ("order", ASCENDING)], {}),
               ([("dispatched", ASCENDING)], {})],     # issue 15: not fanned out yet
    # the purge's range (service/portal/sessions.py); never a TTL index (expiry is decided
    # from the service's clock, and NX-27017 would apply a TTL by the wall clock on read)
    "portal_links": [([("expires_at", ASCENDING)], {})],
    "portal_sessions": [([("expires_at", ASCENDING)], {})],
    # issue 15: outbound webhooks (service/outbound/repository.py)
    "webhook_endpoints": [([("scope", ASCENDING)], {}), ([("reseller_id", ASCENDING)], {})],
    "webhook_deliveries": [([("due_ms", ASCENDING)], {})],
    "webhook_attempts": [([("endpoint_id", ASCENDING)], {})],
    # No TTL index: expiry is decided in code from the injected clock
    # (service.runtime.idempotency), and expired records are purged by the payments sweep. NX-27017 applies TTL indexes on read
    # against the real wall clock, which a test's clock need not agree with.
    "idempotency": [([("expires_at", ASCENDING)], {})],
    # issue 16: reconcile reads a window of workspaces' account credit by the range of their ids
    "account_credit": [([("workspace_id", ASCENDING)], {})],
}

# Indexes an earlier version created and this one must not keep: (collection, index name).
# `expires_at_1` on `idempotency` was a TTL index; it is re-created without expiry.
DROPPED = [("idempotency", "expires_at_1")]
# Indexes an earlier version created that no query uses any more: (collection, keys), dropped
# at start-up whatever name the store gave them (MongoDB `object_id_1`, NX-27017
# `idx_events_object_id`). On `events` (bill19): `created_at` (no query filters or sorts on it
# without an equality on `object_id` first) and `object_id` alone (a prefix of `(object_id,
# type, order)`, which answers the same equality: service/mongo/events.events_of).
# On `subscriptions` (bill20): `due.at`, which the due query read before `due_ms` (billrun16);
# every subscription write (claim, save, release: 2.5 per subscription in a billing pass) paid
# for it, ~0.05 ms of NX-27017's ~0.25 ms an update (a version before billrun16 still running
# in a rolling deploy would find its due subscriptions without it, only slower).
RETIRED: list[tuple[str, list]] = [("events", [("created_at", ASCENDING)]),
                                   ("events", [("object_id", ASCENDING)]),
                                   ("subscriptions", [("due.at", ASCENDING)])]


# The WhatsApp webhook log: raw payloads, per-wamid message records, inbound and unrouted events.
# Only service.whatsapp.log touches these, and no write spans them and the rest, so they may live
# in a database (and, embedded, a server) of their own: see service.runtime.app._store.
WHATSAPP_LOG = frozenset({"wa_payloads", "wa_messages", "wa_inbound", "wa_unrouted",
                          "wa_upgrades"})   # issue 16: one-time backfills' progress


def connect(uri: str, event_listeners: tuple = (),
            timeout: timedelta = timedelta(seconds=2)) -> AsyncMongoClient:
    """`event_listeners`: PyMongo monitoring listeners (Settings.event_listeners, tests only).
    `timeout` (SALDO_STORE_TIMEOUT): how long an operation waits for a reachable server before
    it fails with STORE_DOWN; short, so that a request on a store that is down answers 503
    quickly instead of hanging (PyMongo's default is 30 s)."""
    ms = max(1, int(timeout.total_seconds() * 1000))
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=ms,
                            uuidRepresentation="standard", event_listeners=list(event_listeners))


async def wait_reachable(client: AsyncMongoClient, within: timedelta) -> None:
    """Start-up: a store that is still starting, or slow to answer a new client's first hello
    (a loaded machine), gets `within` rather than one request's timeout. Each ping waits up to
    the client's timeout, so this loop does not spin."""
    deadline = time.monotonic() + within.total_seconds()
    while True:
        try:
            await client.admin.command("ping")
            return
        except STORE_DOWN:
            if time.monotonic() >= deadline:
                raise


async def ensure_indexes(db: AsyncDatabase, *, whatsapp_log: bool | None = None) -> None:
    """Create the indexes of every collection; with `whatsapp_log` True or False, only those
    of the WhatsApp log or only those of the rest. It runs at start-up: it first waits up to
    STARTUP_WAIT for the store."""
    await wait_reachable(db.client, STARTUP_WAIT)
    if whatsapp_log is not True:
        await _drop_ttl_leftovers(db)
        await _drop_retired(db)
    for collection, specs in INDEXES.items():
        if whatsapp_log is not None and (collection in WHATSAPP_LOG) != whatsapp_log:
            continue
        for keys, options in specs:
            await db[collection].create_index(keys, **options)


async def _drop_retired(db: AsyncDatabase) -> None:
    for collection, keys in RETIRED:
        info = await db[collection].index_information()
        for name, spec in info.items():
            if [tuple(k) for k in spec.get("key", [])] == [tuple(k) for k in keys]:
                await db[collection].drop_index(name)


async def _drop_ttl_leftovers(db: AsyncDatabase) -> None:
    for collection, name in DROPPED:
        info = await db[collection].index_information()
        if "expireAfterSeconds" in info.get(name, {}):
            await db[collection].drop_index(name)
