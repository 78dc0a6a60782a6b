"""What an endpoint's owner sees of its deliveries: the attempts, newest first, and a resend
by hand of one event (queued again now; an attempt already running is left to finish)."""
from __future__ import annotations

from datetime import datetime

from billing.errors import Conflict, NotFound
from service.outbound.dispatch import event_audience, find_event
from service.outbound.endpoints import load
from service.outbound.records import Attempt, Delivery, in_audience
from service.outbound.repository import Attempts, Deliveries
from service.runtime.context import Services
from service.workspaces.workspaces import Principal


async def attempts_of(svc: Services, who: Principal, endpoint_id: str, limit: int,
                      cursor: str | None) -> tuple[list[Attempt], str | None]:
    endpoint, _ = await load(svc, who, endpoint_id)
    return await Attempts(svc.db).of_endpoint(endpoint.id, limit, cursor)


async def resend(svc: Services, who: Principal, endpoint_id: str, event_id: str,
                 now: datetime) -> Delivery:
    """Any event the endpoint may receive (its owner's), whatever its type or age; another
    tenant's event is a 404 as if it did not exist."""
    endpoint, _ = await load(svc, who, endpoint_id)
    event = await find_event(svc.db, event_id)
    scopes, reseller_id = await event_audience(svc, event) if event else ([], None)
    if not in_audience(endpoint.scope, scopes):
        raise NotFound("Event not found", field="event_id")
    if endpoint.status != "enabled":
        raise Conflict("The webhook endpoint is disabled; enable it first",
                       details={"status": endpoint.status})
    return await Deliveries(svc.db).requeue(endpoint.id, event_id, reseller_id, now)
