"""Events (issue 15): `GET /v1/events`, to poll or catch up, and a workspace's low-balance
thresholds (`GET/PUT …/balance-alerts`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, Field, StrictInt

from billing.balance_alerts import MAX_THRESHOLD
from billing.errors import ValidationFailed
from billing.money import Money
from handlers.formatting import money_out
from handlers.http import (locale, parse_body, principal, request_now, respond,
                           RouteTable, services)
from handlers.models import Request
from service.events import events
from service.events.catalog import expand
from service.events.repository import EventQuery
from service.mongo.docs import to_ms
from service.workspaces.workspaces import load_workspace

routes = RouteTable()
ALERTS = "/v1/workspaces/{ws}/balance-alerts"


class EventsQuery(Request):
    type: str | None = Field(default=None, max_length=1000, description="Event types, comma-"
                             "separated; a prefix ending in `*` (`subscription.*`) matches many")
    created_after: AwareDatetime | None = Field(default=None, description="ISO 8601 with offset")
    created_before: AwareDatetime | None = Field(default=None, description="ISO 8601 with offset")
    workspace_id: str | None = Field(default=None, max_length=100,
                                     description="one workspace the caller may see")
    order: Literal["desc", "asc"] = Field(default="desc", description="desc: newest first; "
                                          "asc: oldest first (to catch up)")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=300)


class EventOut(BaseModel):
    id: str
    type: str
    created_at: datetime
    workspace_id: str | None
    reseller_id: str | None
    object: str
    object_id: str
    data: dict[str, Any] = Field(description="the object as the API shows it")


class EventsOut(BaseModel):
    events: list[EventOut]
    next_cursor: str | None


class BalanceAlertsIn(Request):
    conversation: StrictInt | None = Field(default=None, ge=0, le=MAX_THRESHOLD,
                                           description="whole rupiah (IDR); 0: no balance_low")
    broadcast: StrictInt | None = Field(default=None, ge=0, le=MAX_THRESHOLD,
                                        description="whole rupiah (IDR); 0: no balance_low")


class BalanceAlertsOut(BaseModel):
    thresholds: dict[str, dict] = Field(description="per balance: the threshold (Money)")


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def event_out(doc: dict) -> EventOut:
    return EventOut(id=doc["_id"], type=doc["type"], created_at=doc["created_at"],
                    workspace_id=doc.get("workspace_id"), reseller_id=doc.get("reseller_id"),
                    object=doc["object"], object_id=doc["object_id"], data=doc["data"])


@routes.route("GET", "/v1/events", "Events the caller may see (workspace: its own; reseller: "
              "its customers'; admin: all), newest first, with type and time filters",
              response=EventsOut, query=EventsQuery, errors=(ValidationFailed,))
async def list_events(request: web.Request) -> web.Response:
    who = await principal(request)
    query = {**request.query, **({"type": ",".join(request.query.getall("type"))}
                                 if "type" in request.query else {})}
    q = EventsQuery.model_validate(query)
    found, cursor = await events.list_events(services(request), who, EventQuery(
        workspace_id=q.workspace_id, types=tuple(expand(q.type)) if q.type else (),
        after_ms=_ms(q.created_after), before_ms=_ms(q.created_before),
        ascending=q.order == "asc", limit=q.limit, cursor=q.cursor))
    return respond(EventsOut(events=[event_out(d) for d in found], next_cursor=cursor))


def _alerts_out(thresholds: dict[str, int], lang: str) -> BalanceAlertsOut:
    return BalanceAlertsOut(thresholds={b: money_out(Money.idr(v), lang)
                                        for b, v in thresholds.items()})


@routes.route("GET", ALERTS, "Low-balance thresholds per balance (wallet.balance_low fires "
              "when a charge crosses one downwards)", response=BalanceAlertsOut)
async def read_alerts(request: web.Request) -> web.Response:
    svc = services(request)
    ws = await load_workspace(svc, await principal(request), request.match_info["ws"])
    return respond(_alerts_out(await events.balance_alerts(svc, ws.id), locale(request)))


@routes.route("PUT", ALERTS, "Set low-balance thresholds (whole rupiah; a balance left out "
              "keeps its own)", body=BalanceAlertsIn, response=BalanceAlertsOut,
              errors=(ValidationFailed,))
async def update_alerts(request: web.Request) -> web.Response:
    svc = services(request)
    ws = await load_workspace(svc, await principal(request), request.match_info["ws"])
    body = await parse_body(request, BalanceAlertsIn)
    changes = body.model_dump(exclude_none=True)
    return respond(_alerts_out(await events.set_balance_alerts(svc, ws.id, changes,
                                                               request_now(request)),
                               locale(request)))
