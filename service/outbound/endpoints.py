"""Webhook endpoints: register, list, read, change, delete, rotate the secret. An endpoint
belongs to the caller who registered it: the admin's receives every event, a reseller's the
events of its customers' workspaces, a workspace's its own. A workspace's endpoints are also
managed by its reseller and by the admin (as the rest of the workspace is); another tenant
gets a 404, as for any object it cannot see."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from billing.errors import Conflict, NotFound
from service.outbound.addresses import check_url
from service.outbound.records import Endpoint, Secret, scope_of
from service.outbound.repository import Endpoints
from service.outbound.signing import new_secret
from service.runtime.context import Services
from service.runtime.ids import new_seed
from service.workspaces.lookup import workspace_by_id
from service.workspaces.workspaces import Principal

ROTATION_OVERLAP = timedelta(hours=24)    # a rotated-out secret still signs this long
MAX_PER_OWNER = 20


def visible(who: Principal, endpoint: Endpoint) -> bool:
    if who.role == "admin":
        return True
    if who.role == "reseller":
        return endpoint.reseller_id == who.reseller_id and endpoint.role != "admin"
    return endpoint.scope == scope_of("workspace", who.workspace_id, None)


def _owned_query(who: Principal) -> dict:
    if who.role == "admin":
        return {}
    if who.role == "reseller":
        return {"reseller_id": who.reseller_id}
    return {"scope": scope_of("workspace", who.workspace_id, None)}


async def load(svc: Services, who: Principal, endpoint_id: str) -> tuple[Endpoint, int]:
    """The endpoint (and its revision) if this caller may see it; else 404."""
    found = await Endpoints(svc.db).get(endpoint_id)
    if found is None or not visible(who, found[0]):
        raise NotFound("Webhook endpoint not found", field="endpoint_id")
    return found


async def create(svc: Services, who: Principal, url: str, event_types: list[str],
                 description: str, now: datetime) -> Endpoint:
    """Register an endpoint of the caller; its secret (`secrets[0]`) is shown once."""
    await check_url(url, svc.settings.webhooks_allow_private)
    reseller_id = who.reseller_id
    if who.role == "workspace":
        reseller_id = (await workspace_by_id(svc, who.workspace_id)).reseller_id
    scope = scope_of(who.role, who.workspace_id, who.reseller_id)
    repository = Endpoints(svc.db)
    if await repository.count_of(scope) >= MAX_PER_OWNER:
        raise Conflict(f"At most {MAX_PER_OWNER} webhook endpoints per owner")
    endpoint = Endpoint(
        id=f"we_{new_seed(now)}", scope=scope, role=who.role, workspace_id=who.workspace_id,
        reseller_id=reseller_id, url=url, description=description,
        event_types=tuple(event_types), status="enabled", secrets=(Secret(new_secret()),),
        created_at=now, updated_at=now)
    await repository.insert(endpoint)
    return endpoint


async def listed(svc: Services, who: Principal, limit: int,
                 cursor: str | None) -> tuple[list[Endpoint], str | None]:
    """The endpoints the caller sees, newest first."""
    return await Endpoints(svc.db).listed(_owned_query(who), limit, cursor)


async def update(svc: Services, who: Principal, endpoint_id: str, changes: dict,
                 now: datetime) -> Endpoint:
    """Change url, event_types, description or status. Enabling again clears the failing
    time; deliveries that failed meanwhile are not resent (resend them by hand)."""
    if "url" in changes:
        await check_url(changes["url"], svc.settings.webhooks_allow_private)
    if "event_types" in changes:
        changes = {**changes, "event_types": tuple(changes["event_types"])}

    def change(endpoint: Endpoint) -> Endpoint:
        new = replace(endpoint, **changes, updated_at=now)
        if changes.get("status") == "enabled" and endpoint.status != "enabled":
            new = replace(new, failing_since=None, disabled_at=None)
        elif changes.get("status") == "disabled" and endpoint.status != "disabled":
            new = replace(new, disabled_at=now)
        return new
    return await _save(svc, who, endpoint_id, change)


async def rotate(svc: Services, who: Principal, endpoint_id: str, now: datetime) -> Endpoint:
    """A new secret (the first of `secrets`, shown once); the one it replaces still signs for
    ROTATION_OVERLAP (both signatures are sent), older ones no longer."""
    def change(endpoint: Endpoint) -> Endpoint:
        current = next(s for s in endpoint.secrets if s.expires_at is None)
        return replace(endpoint, updated_at=now, secrets=(
            Secret(new_secret()), replace(current, expires_at=now + ROTATION_OVERLAP)))
    return await _save(svc, who, endpoint_id, change)


async def delete(svc: Services, who: Principal, endpoint_id: str) -> None:
    """Gone at once; its queued deliveries are dropped when a worker next takes them."""
    await load(svc, who, endpoint_id)
    await Endpoints(svc.db).delete(endpoint_id)


async def _save(svc: Services, who: Principal, endpoint_id: str, change) -> Endpoint:
    for _ in range(5):
        endpoint, rev = await load(svc, who, endpoint_id)
        new = change(endpoint)
        if await Endpoints(svc.db).save(new, rev):
            return new
    raise Conflict("The webhook endpoint changed meanwhile; retry")
