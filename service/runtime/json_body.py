"""The one JSON-body decoder: request bodies (handlers.http.read_json), the Idempotency-Key's
body hash (service.runtime.idempotency) and stored WhatsApp payloads (service.whatsapp) all
decode bytes here, so they agree on what is JSON. Not JSON → `InvalidJson` (400)."""
from __future__ import annotations

import json
from typing import Any

from billing.errors import InvalidJson

_NOT_JSON = (ValueError, UnicodeDecodeError, RecursionError)


def decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except _NOT_JSON as exc:
        raise InvalidJson(f"Body is not valid JSON: {exc}") from None


def decode_object(raw: bytes) -> dict:
    payload = decode(raw)
    if not isinstance(payload, dict):
        raise InvalidJson("Body must be a JSON object")
    return payload


def canonical(raw: bytes) -> bytes:
    """Same JSON (whatever its key order or spacing) → same bytes; a body that is not JSON is
    kept as it is."""
    try:
        return json.dumps(decode(raw), sort_keys=True, separators=(",", ":")).encode()
    except InvalidJson:
        return raw
