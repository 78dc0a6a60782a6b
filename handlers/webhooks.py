"""Meta WhatsApp webhooks: GET verification handshake and signed POST notifications; the admin's
view of payloads that could not be processed (parked)."""
from __future__ import annotations

import hmac

from aiohttp import web

from billing.errors import Unauthorized, UnsupportedMediaType
from handlers.bodies import WEBHOOK_MAX_BODY, large_body_slot, read_body
from handlers.http import admin_only, request_now, respond, RouteTable, services
from handlers.models import ParkedPayloadOut, ParkedPayloadsOut, RetriedPayloadOut
from service.whatsapp import webhooks

routes = RouteTable()
OK_BODY = b'{"ok": true}'      # every accepted notification gets the same answer: encoded once


def signature_ok(raw: bytes, header: str | None, secrets: tuple[str, ...]) -> bool:
    """Constant-time check of `sha256=<hex>` against every configured app secret."""
    if not header or not header.startswith("sha256=") or not secrets:
        return False
    given = header[len("sha256="):].strip().lower().encode()
    matched = False
    for secret in secrets:
        expected = hmac.digest(secret.encode(), raw, "sha256").hex().encode()   # one-shot
        matched |= hmac.compare_digest(expected, given)
    return matched


@routes.route("GET", "/webhooks/whatsapp", "Meta verification handshake (hub.challenge echo)",
              auth="none")
async def verify(request: web.Request) -> web.Response:
    q = request.query
    token = services(request).settings.whatsapp_verify_token
    if (q.get("hub.mode") == "subscribe" and token and hmac.compare_digest(
            q.get("hub.verify_token", "").encode(), token.encode())):
        return web.Response(text=q.get("hub.challenge", ""), content_type="text/plain")
    return web.Response(status=403, text="verification failed", content_type="text/plain")


@routes.route("POST", "/webhooks/whatsapp", "WhatsApp notifications, signed with "
              "X-Hub-Signature-256", auth="signature")
async def notify(request: web.Request) -> web.Response:
    svc = services(request)
    with svc.metrics.webhook() as seen:       # latency by outcome (GET /metrics)
        async with large_body_slot(request):  # few large bodies at a time (handlers/bodies.py)
            raw = await read_body(request, WEBHOOK_MAX_BODY)
            if not signature_ok(raw, request.headers.get("X-Hub-Signature-256"),
                                svc.settings.whatsapp_app_secrets):
                raise Unauthorized("Missing or invalid X-Hub-Signature-256")
            if request.content_type != "application/json":
                raise UnsupportedMediaType("Content-Type must be application/json")
            seen.outcome = await webhooks.receive(svc, raw, request_now(request))
    return web.Response(body=OK_BODY, content_type="application/json", charset="utf-8")


@routes.route("GET", "/v1/admin/webhooks/parked",
              "WhatsApp payloads parked after repeated processing failures, oldest first (admin)",
              response=ParkedPayloadsOut)
async def parked(request: web.Request) -> web.Response:
    await admin_only(request)
    payloads = await services(request).whatsapp.parked()
    return respond(ParkedPayloadsOut(payloads=[ParkedPayloadOut(
        id=p.id, received_at=p.received_at, parked_at=p.parked_at, attempts=p.attempts,
        last_error=p.last_error) for p in payloads]))


@routes.route("POST", "/v1/admin/webhooks/parked/{id}/retry",
              "Process a parked payload again, once its cause is fixed (admin)",
              response=RetriedPayloadOut)
async def retry(request: web.Request) -> web.Response:
    await admin_only(request)
    payload_id = request.match_info["id"]
    processed = await webhooks.retry_parked(services(request), payload_id,
                                           request_now(request))
    return respond(RetriedPayloadOut(id=payload_id, processed=processed))
