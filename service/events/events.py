"""Use cases of the events feature: list the events a caller may see (GET /v1/events), and read
or set a workspace's low-balance thresholds (service/wallet/alerts.py keeps them in the wallet).

Who sees what: a workspace key its own workspace's events; a reseller key its customers'
(`reseller_id` on each event); the admin every event, including the catalog's `addon.*`
(which belong to no workspace). `workspace_id` narrows an admin's or a reseller's list to one
workspace it may see (another tenant's is answered like a missing workspace: 404).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Mapping

from service.events.repository import EventQuery, page
from service.runtime.context import Services
from service.wallet import alerts
from service.workspaces.workspaces import Principal, load_workspace


async def list_events(svc: Services, who: Principal, q: EventQuery
                      ) -> tuple[list[dict], str | None]:
    """The caller's events under `q` (its scope replaces any the query named)."""
    if q.workspace_id is not None:
        await load_workspace(svc, who, q.workspace_id)        # 404 unless the caller sees it
    if who.role == "workspace":
        q = replace(q, workspace_id=who.workspace_id, reseller_id=None)
    elif who.role == "reseller":
        q = replace(q, reseller_id=who.reseller_id)
    else:
        q = replace(q, reseller_id=None)
    return await page(svc.db, q)


async def balance_alerts(svc: Services, workspace_id: str) -> dict[str, int]:
    return await alerts.read_thresholds(svc.db, workspace_id)


async def set_balance_alerts(svc: Services, workspace_id: str, changes: Mapping[str, int],
                             now: datetime) -> dict[str, int]:
    return await alerts.set_thresholds(svc.db, workspace_id, changes, now)
