"""Meta WhatsApp Business Platform webhook payloads → typed events (pure, tolerant).

Every entry/change is walked. `messages` changes yield inbound messages and statuses; anything
else (account updates, errors-only values, unknown fields and types) yields an `OtherChange`, so
it is stored and acknowledged without being billed. Malformed parts never raise: they are kept
as `OtherChange` with a reason.

Only the fields billing uses are read, each into a typed, bounded value: text is a `str` of at
most `MAX_TEXT` printable characters, numbers are integers that fit in 8 bytes,
`billable` is a bool. Anything else (a dict or list where text is expected, a NUL, `Infinity`,
`NaN`, an integer over 8 bytes, a megabyte of text) counts as absent, so nothing an event holds
can be refused by the store. A status whose `id` is not such a text cannot be billed: it becomes
an `OtherChange`, and the other statuses of the payload are unaffected. (The raw body is kept
as bytes by the caller, so nothing of the payload is lost.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

from billing.rates import normalize_category

MAX_TEXT = 256           # a wamid is ~60 characters, a phone number id ~15
MAX_ERRORS = 10         # errors kept per status
INT64 = range(-2**63, 2**63)

STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "played": 4}
DELIVERED_RANK = 2  # delivered, read or played: Meta delivered it, so it is billable


@dataclass(frozen=True, slots=True)
class InboundMessage:
    phone_number_id: str
    wamid: str
    wa_id: str | None
    user_id: str | None
    timestamp: datetime
    type: str


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    phone_number_id: str
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str | None
    recipient_user_id: str | None
    category: str | None
    pricing: dict | None = None
    errors: list = field(default_factory=list)

    @property
    def rank(self) -> int:
        return STATUS_RANK.get(self.status, 0)

    @property
    def delivered(self) -> bool:
        return self.rank >= DELIVERED_RANK


@dataclass(frozen=True, slots=True)
class OtherChange:
    field: str
    phone_number_id: str | None
    reason: str


Event = InboundMessage | StatusUpdate | OtherChange


def _ts(raw) -> datetime:
    if (type(raw) is str and len(raw) <= 20) or (type(raw) is int and raw in INT64):
        return _epoch(raw)      # a payload's statuses share a few timestamps: cached, bounded
    return _epoch_of(raw)


@lru_cache(maxsize=1024)
def _epoch(raw: str | int) -> datetime:
    return _epoch_of(raw)


def _epoch_of(raw) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=timezone.utc)


def _text(value, limit: int = MAX_TEXT) -> str | None:
    """A short printable text, or None. Integers are accepted as their digits (ids)."""
    if type(value) is str:
        return value if 0 < len(value) <= limit and value.isprintable() else None
    if type(value) is int and value in INT64:
        return str(value)
    return None


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def parse_payload(payload: dict) -> list[Event]:
    events: list[Event] = []
    for entry in _dicts(payload.get("entry") if isinstance(payload, dict) else None):
        for change in _dicts(entry.get("changes")):
            events.extend(_parse_change(change))
    return events


def _parse_change(change: dict) -> list[Event]:
    name = _text(change.get("field")) or ""
    value = change.get("value") if isinstance(change.get("value"), dict) else {}
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    phone = _text(metadata.get("phone_number_id"))
    if name != "messages" or phone is None:
        return [OtherChange(name, phone, "not a messages change")]
    events: list[Event] = []
    for part, parse in (("messages", _inbound), ("statuses", _status)):
        for item in _dicts(value.get(part)):
            if item.get("id") is None:
                continue
            wamid = _text(item.get("id"))
            events.append(parse(phone, wamid, item) if wamid else
                          OtherChange(name, phone, f"{part[:-1]} without a usable id"))
    if value.get("errors") or not events:
        events.append(OtherChange(name, phone, "errors or nothing billable"))
    return events


def _inbound(phone: str, wamid: str, message: dict) -> InboundMessage:
    return InboundMessage(
        phone_number_id=phone, wamid=wamid,
        wa_id=_text(message.get("from")), user_id=_text(message.get("from_user_id")),
        timestamp=_ts(message.get("timestamp")), type=_text(message.get("type")) or "unknown")


def _status(phone: str, wamid: str, status: dict) -> StatusUpdate:
    pricing = _pricing(status.get("pricing"))
    return StatusUpdate(    # positional (the fields' order): a third cheaper than keywords
        phone, wamid, _text(status.get("status")) or "", _ts(status.get("timestamp")),
        _text(status.get("recipient_id")), _text(status.get("recipient_user_id")),
        pricing.get("category") if pricing else None, pricing, _errors(status.get("errors")))


def _pricing(raw) -> dict | None:
    """The pricing fields Saldo reads: `category` prices the message; `billable`, `type` and
    `pricing_model` are recorded. Only valid values are kept; no valid field → None."""
    if type(raw) is not dict:
        return None
    pricing = {}
    for key, value in (("category", normalize_category(raw.get("category"))),
                       ("billable", raw.get("billable")),
                       ("pricing_model", _text(raw.get("pricing_model"))),
                       ("type", _text(raw.get("type")))):
        if value is not None and (key != "billable" or type(value) is bool):
            pricing[key] = value
    return pricing or None


def _errors(raw) -> list[dict]:
    """Each error's `code` (an 8-byte integer) and `title` (bounded text), when present."""
    out: list[dict] = []
    if not raw:
        return out
    for error in _dicts(raw)[:MAX_ERRORS]:
        code = error.get("code")
        kept = {"code": code if type(code) is int and code in INT64 else None,
                "title": _text(error.get("title"), 1000)}
        out.append({k: v for k, v in kept.items() if v is not None})
    return out
