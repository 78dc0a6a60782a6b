"""Liveness and readiness: can the process work, is every store the service uses reachable?"""
from __future__ import annotations

import asyncio

from service.runtime.context import Services

PING_TIMEOUT_S = 2.0


async def stores_reachable(svc: Services) -> bool:
    """One ping per database (two servers when the store is embedded)."""
    try:
        for db in (svc.db, svc.whatsapp.db):
            await db.command("ping")
    except Exception:
        return False
    return True


async def store_states(svc: Services) -> dict[str, str]:
    """`up` or `down` for each store (`main`, `whatsapp_log`): down when it cannot be worked
    with, i.e. embedded, its child is dead or not restarted yet (service/mongo/supervisor.py),
    or it does not answer a ping within PING_TIMEOUT_S."""
    dead = svc.stores.down() if svc.stores is not None else []
    stores = {"main": svc.db}
    if svc.whatsapp is not None:
        stores["whatsapp_log"] = svc.whatsapp.db
    return {name: "down" if name in dead or not await _answers(db) else "up"
            for name, db in stores.items()}


async def _answers(db) -> bool:
    try:
        await asyncio.wait_for(db.command("ping"), PING_TIMEOUT_S)
        return True
    except Exception:
        return False
