"""The Standard Webhooks message (https://www.standardwebhooks.com): the body
`{type, timestamp, data}` (`data`: the event as GET /v1/events shows it), and the headers
`webhook-id` (the event id: the same on every retry, so a receiver can drop duplicates),
`webhook-timestamp` (the attempt's time, seconds) and `webhook-signature` (`v1,<base64 HMAC>`,
one per valid secret, space-separated: during a rotation both the new and the old secret sign).
Signed with the reference library, `standardwebhooks`."""
from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timezone
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A signing secret (192 random bits), in the spec's `whsec_<base64>` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def event_view(event: dict) -> dict:
    """An `events` document as the API shows it."""
    return {"id": event["_id"], "type": event["type"], "object": event.get("object"),
            "object_id": event.get("object_id"), "workspace_id": event.get("workspace_id"),
            "reseller_id": event.get("reseller_id"), "created_at": event["created_at"],
            "data": event.get("data") or {}}


def _json(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


def body_of(event: dict) -> bytes:
    view = event_view(event)
    return json.dumps({"type": view["type"], "timestamp": view["created_at"], "data": view},
                      default=_json, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(message_id: str, at: datetime, body: bytes, signing: list[str]) -> dict:
    at = at.astimezone(timezone.utc)
    text = body.decode()
    signature = " ".join(Webhook(s).sign(message_id, at, text) for s in signing)
    return {"webhook-id": message_id, "webhook-timestamp": str(floor(at.timestamp())),
            "webhook-signature": signature, "Content-Type": "application/json",
            "User-Agent": "Saldo-Webhooks/1"}
