"""Fan-out: each new event becomes one delivery per endpoint that wants it.

`emit` (service/mongo/events.py) writes every event with `dispatched: False`. A pass reads a
batch of those, queues one delivery per matching enabled endpoint (insert-if-absent on
endpoint id + event id, so a pass killed half-way, or two passes at once, queue each pair
once), and only then marks the events dispatched. Events written before outbound webhooks
existed have no `dispatched` field and are never sent.

Who gets an event: the admin's endpoints, the endpoints of its workspace and of that
workspace's reseller (`reseller_id` on the event, else the workspace's, read here). An event
with no workspace goes to the admin's endpoints, and an add-on catalog event (`addon.*`) also
to the resellers its data's `visibility.resellers` names ("all" or ids) when it carries it
(the catalog's API shape). An endpoint receives the events created from its own creation on,
of the types it subscribed to.
"""
from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from service.outbound.records import Endpoint, audience, in_audience
from service.outbound.repository import Deliveries, Endpoints
from service.runtime.context import Services
from service.workspaces.lookup import workspaces_by_ids

BATCH = 200


async def undispatched(db: AsyncDatabase, limit: int) -> list[dict]:
    return [e async for e in db.events.find({"dispatched": {"$eq": False}}).limit(limit)]


async def mark_dispatched(db: AsyncDatabase, event_ids: list[str]) -> None:
    # NX-27017 stores a bool given to `$set` as 1: the finder's `$eq: False` still skips it.
    await db.events.update_many({"_id": {"$in": event_ids}}, {"$set": {"dispatched": True}})


async def dispatch(svc: Services, now: datetime, batch: int = BATCH) -> tuple[int, int]:
    """One batch of new events fanned out; → (events read, deliveries queued)."""
    events = await undispatched(svc.db, batch)
    if not events:
        return 0, 0
    resellers = await _resellers(svc, events)
    scopes = {e["_id"]: audience(e.get("workspace_id"), resellers.get(e["_id"]), _visible_to(e))
              for e in events}
    endpoints = await Endpoints(svc.db).enabled_in(sorted({s for v in scopes.values()
                                                            for s in v}))
    queued = 0
    deliveries = Deliveries(svc.db)
    for event in events:
        for endpoint in endpoints:
            if _receives(endpoint, event, scopes[event["_id"]]):
                queued += await deliveries.add(endpoint.id, event["_id"],
                                               resellers.get(event["_id"]), now)
    await mark_dispatched(svc.db, [e["_id"] for e in events])
    return len(events), queued


def _receives(endpoint: Endpoint, event: dict, scopes: list[str]) -> bool:
    return (in_audience(endpoint.scope, scopes) and endpoint.wants(event["type"])
            and event["created_at"] >= endpoint.created_at)


def _visible_to(event: dict) -> object:
    """A catalog event's add-on visibility to resellers, if its data carries it."""
    if event.get("workspace_id") or event.get("object") != "addon":
        return None
    visibility = (event.get("data") or {}).get("visibility")
    return visibility.get("resellers") if isinstance(visibility, dict) else None


async def _resellers(svc: Services, events: list[dict]) -> dict[str, str | None]:
    """event id → the reseller of its workspace (the event's own `reseller_id` if it has one)."""
    missing = {e["workspace_id"] for e in events
               if e.get("workspace_id") and "reseller_id" not in e}
    owners = ({w.id: w.reseller_id for w in await workspaces_by_ids(svc.db, missing)}
              if missing else {})
    return {e["_id"]: e["reseller_id"] if "reseller_id" in e
            else owners.get(e.get("workspace_id")) for e in events}


async def event_audience(svc: Services, event: dict) -> tuple[list[str], str | None]:
    """The scopes that may receive `event` (a resend by hand checks it), and its reseller."""
    reseller_id = (await _resellers(svc, [event]))[event["_id"]]
    return audience(event.get("workspace_id"), reseller_id, _visible_to(event)), reseller_id


async def find_event(db: AsyncDatabase, event_id: str) -> dict | None:
    return await db.events.find_one({"_id": event_id})
