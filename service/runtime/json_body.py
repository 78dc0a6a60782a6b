"""The one JSON-body decoder: request bodies (handlers.http.read_json), the Idempotency-Key's
body hash (service.runtime.idempotency), payment provider callbacks (service.payments.sandbox)
and stored WhatsApp payloads (service.whatsapp) all decode bytes here, so they agree on what is
JSON. Not JSON, or nested deeper than MAX_DEPTH → `InvalidJson` (400), never a RecursionError
further on (pydantic, json.dumps, BSON); the size is bounded before, where the body is read
(handlers.bodies)."""
from __future__ import annotations

import json
from typing import Any

from billing.errors import InvalidJson

# Meta's webhooks nest up to 11 levels (our samples), the API's own bodies 3: 32 is generous,
# and far from Python's recursion limit (about 1,000 frames) that json, pydantic and BSON meet.
MAX_DEPTH = 32
_NOT_JSON = (ValueError, UnicodeDecodeError, RecursionError)


def decode(raw: bytes) -> Any:
    try:
        payload = json.loads(raw)
    except _NOT_JSON as exc:
        raise InvalidJson(f"Body is not valid JSON: {exc}") from None
    # Nesting needs an opening bracket per level: a body with few of them (a single-status
    # webhook has about ten) cannot be too deep, and is not walked.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and depth(payload) > MAX_DEPTH:
        raise InvalidJson(f"Body is nested deeper than {MAX_DEPTH} levels")
    return payload


def decode_object(raw: bytes) -> dict:
    payload = decode(raw)
    if not isinstance(payload, dict):
        raise InvalidJson("Body must be a JSON object")
    return payload


def depth(payload: Any) -> int:
    """How deep objects and arrays nest (a scalar: 0; counted up to MAX_DEPTH + 1), without
    recursion: level by level, each level's containers only (a webhook of 100 statuses in a
    third of the time of a walk that stacks every value; scalars are dropped as each level is
    listed, not in a second pass)."""
    level, frontier = 0, [payload] if type(payload) in _CONTAINERS else []
    while frontier and level <= MAX_DEPTH:      # deeper than that is refused anyway
        level += 1
        frontier = [child for v in frontier for child in (v.values() if type(v) is dict else v)
                    if type(child) in _CONTAINERS]
    return level


_CONTAINERS = (dict, list)      # json's types


def canonical(raw: bytes) -> bytes:
    """Same JSON (whatever its key order or spacing) → same bytes; a body that is not JSON is
    kept as it is."""
    try:
        return json.dumps(decode(raw), sort_keys=True, separators=(",", ":")).encode()
    except InvalidJson:
        return raw
