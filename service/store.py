"""MongoDB wiring: the client, the database, and the indexes (created idempotently)."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

INDEXES: dict[str, list[tuple[list, dict]]] = {
    "ledger": [([("workspace_id", ASCENDING), ("order", DESCENDING)], {}),
               ([("state", ASCENDING), ("created_at", ASCENDING)], {}),
               ([("intent_key", ASCENDING)], {}),
               ([("wb", ASCENDING)], {})],
    "wa_messages": [([("charge_key", ASCENDING), ("delivered_seen_at", ASCENDING)], {})],
    "wa_inbound": [([("workspace_id", ASCENDING), ("wa_id", ASCENDING), ("timestamp", ASCENDING)], {}),
                   ([("workspace_id", ASCENDING), ("user_id", ASCENDING), ("timestamp", ASCENDING)], {})],
    "wa_payloads": [([("processed_at", ASCENDING), ("received_at", ASCENDING)], {})],
    "phone_numbers": [([("workspace_id", ASCENDING)], {})],
    "workspaces": [([("reseller_id", ASCENDING), ("created_at", ASCENDING)], {})],
    "api_keys": [([("workspace_id", ASCENDING)], {})],
}


def connect(uri: str) -> AsyncMongoClient:
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000,
                            uuidRepresentation="standard")


async def ensure_indexes(db: AsyncDatabase) -> None:
    for collection, specs in INDEXES.items():
        for keys, options in specs:
            await db[collection].create_index(keys, **options)
