"""Readiness: is every store the service uses reachable?"""
from __future__ import annotations

from service.runtime.context import Services


async def stores_reachable(svc: Services) -> bool:
    """One ping per database (two servers when the store is embedded)."""
    try:
        for db in (svc.db, svc.whatsapp.db):
            await db.command("ping")
    except Exception:
        return False
    return True
