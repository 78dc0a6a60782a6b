"""Webhook endpoints (issue 15): register a URL for the events a workspace, a reseller or the
admin may see; rotate its signing secret; its delivery attempts; resend an event by hand."""
from __future__ import annotations

from aiohttp import web

from billing.errors import Conflict, WebhookUrlRefused
from handlers.http import parse_body, parse_query, principal, request_now, respond, RouteTable
from handlers.http import services
from handlers.payment_models import ListQuery
from handlers.webhook_models import (WebhookAttemptOut, WebhookAttemptsOut, WebhookDeliveryOut,
                                     WebhookEndpointCreated, WebhookEndpointIn,
                                     WebhookEndpointOut, WebhookEndpointPatch,
                                     WebhookEndpointsOut, WebhookOwnerOut, WebhookSecretOut)
from service.outbound import endpoints, history
from service.outbound.records import Attempt, Delivery, Endpoint

routes = RouteTable()
BASE = "/v1/webhook-endpoints"
ONE = BASE + "/{endpoint_id}"


def endpoint_out(e: Endpoint) -> WebhookEndpointOut:
    previous = [s.expires_at for s in e.secrets if s.expires_at is not None]
    return WebhookEndpointOut(
        id=e.id, url=e.url, description=e.description, event_types=list(e.event_types),
        status=e.status, owner=WebhookOwnerOut(role=e.role, workspace_id=e.workspace_id,
                                               reseller_id=e.reseller_id),
        created_at=e.created_at, updated_at=e.updated_at, failing_since=e.failing_since,
        disabled_at=e.disabled_at, previous_secret_expires_at=max(previous, default=None))


def attempt_out(a: Attempt) -> WebhookAttemptOut:
    return WebhookAttemptOut(
        id=a.id, delivery_id=a.delivery_id, event_id=a.event_id, event_type=a.event_type,
        attempt=a.attempt, at=a.at, outcome=a.outcome, status_code=a.status_code,
        error=a.error, duration_ms=a.duration_ms, next_attempt_at=a.next_attempt_at)


def delivery_out(d: Delivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(id=d.id, endpoint_id=d.endpoint_id, event_id=d.event_id,
                              status=d.status, attempts=d.attempts,
                              next_attempt_at=d.next_attempt_at, last_status=d.last_status,
                              last_error=d.last_error)


@routes.route("POST", BASE, "Register a webhook endpoint of the caller (admin: every event; "
              "reseller: its customers'; workspace: its own); the signing secret is shown once",
              body=WebhookEndpointIn, response=WebhookEndpointCreated, status=201,
              errors=(WebhookUrlRefused, Conflict))
async def create(request: web.Request) -> web.Response:
    who = await principal(request)
    body = await parse_body(request, WebhookEndpointIn)
    created = await endpoints.create(services(request), who, body.url, body.event_types,
                                     body.description, request_now(request))
    return respond(WebhookEndpointCreated(endpoint=endpoint_out(created),
                                          secret=created.secrets[0].value), 201)


@routes.route("GET", BASE, "The webhook endpoints the caller sees, newest first",
              response=WebhookEndpointsOut, query=ListQuery)
async def list_all(request: web.Request) -> web.Response:
    who = await principal(request)
    q = parse_query(request, ListQuery)
    found, cursor = await endpoints.listed(services(request), who, q.limit, q.cursor)
    return respond(WebhookEndpointsOut(endpoints=[endpoint_out(e) for e in found],
                                       next_cursor=cursor))


@routes.route("GET", ONE, "Read a webhook endpoint", response=WebhookEndpointOut)
async def read(request: web.Request) -> web.Response:
    who = await principal(request)
    found, _ = await endpoints.load(services(request), who, request.match_info["endpoint_id"])
    return respond(endpoint_out(found))


@routes.route("PATCH", ONE, "Change a webhook endpoint's URL, event types, description or "
              "status (enabled again after being disabled: failed deliveries are not resent)",
              body=WebhookEndpointPatch, response=WebhookEndpointOut,
              errors=(WebhookUrlRefused, Conflict))
async def update(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    await endpoints.load(svc, who, request.match_info["endpoint_id"])
    body = await parse_body(request, WebhookEndpointPatch)
    changed = await endpoints.update(svc, who, request.match_info["endpoint_id"],
                                     body.model_dump(exclude_none=True), request_now(request))
    return respond(endpoint_out(changed))


@routes.route("DELETE", ONE, "Delete a webhook endpoint; its queued deliveries are dropped",
              status=204)
async def delete(request: web.Request) -> web.Response:
    who = await principal(request)
    await endpoints.delete(services(request), who, request.match_info["endpoint_id"])
    return web.Response(status=204)


@routes.route("POST", ONE + "/rotate-secret", "A new signing secret (shown once); the previous "
              "one keeps signing for 24 hours, both signatures sent", response=WebhookSecretOut,
              errors=(Conflict,))
async def rotate(request: web.Request) -> web.Response:
    who = await principal(request)
    rotated = await endpoints.rotate(services(request), who, request.match_info["endpoint_id"],
                                     request_now(request))
    return respond(WebhookSecretOut(endpoint=endpoint_out(rotated),
                                    secret=rotated.secrets[0].value))


@routes.route("GET", ONE + "/attempts", "Delivery attempts to the endpoint, newest first",
              response=WebhookAttemptsOut, query=ListQuery)
async def attempts(request: web.Request) -> web.Response:
    who = await principal(request)
    q = parse_query(request, ListQuery)
    found, cursor = await history.attempts_of(services(request), who,
                                              request.match_info["endpoint_id"], q.limit,
                                              q.cursor)
    return respond(WebhookAttemptsOut(attempts=[attempt_out(a) for a in found],
                                      next_cursor=cursor))


@routes.route("POST", ONE + "/events/{event_id}/resend", "Send an event to the endpoint again "
              "(queued now)", response=WebhookDeliveryOut, status=202, errors=(Conflict,))
async def resend(request: web.Request) -> web.Response:
    who = await principal(request)
    delivery = await history.resend(services(request), who, request.match_info["endpoint_id"],
                                    request.match_info["event_id"], request_now(request))
    return respond(delivery_out(delivery), 202)
