"""Meta WhatsApp Business Platform webhook payloads → typed events (pure, tolerant).

Every entry/change is walked. `messages` changes yield inbound messages and statuses; anything
else (account updates, errors-only values, unknown fields and types) yields an `OtherChange`, so
it is stored and acknowledged without being billed. Malformed parts never raise: they are kept
as `OtherChange` with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from billing.rates import normalize_category

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
    try:
        return datetime.fromtimestamp(int(raw), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=timezone.utc)


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def parse_payload(payload: dict) -> list[Event]:
    events: list[Event] = []
    for entry in _dicts(payload.get("entry") if isinstance(payload, dict) else None):
        for change in _dicts(entry.get("changes")):
            events.extend(_parse_change(change))
    return events


def _parse_change(change: dict) -> list[Event]:
    name = str(change.get("field", ""))
    value = change.get("value") if isinstance(change.get("value"), dict) else {}
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    phone = metadata.get("phone_number_id")
    phone = str(phone) if phone is not None else None
    if name != "messages" or phone is None:
        return [OtherChange(name, phone, "not a messages change")]
    events: list[Event] = [_inbound(phone, m) for m in _dicts(value.get("messages")) if m.get("id")]
    events += [_status(phone, s) for s in _dicts(value.get("statuses")) if s.get("id")]
    if value.get("errors") or not events:
        events.append(OtherChange(name, phone, "errors or nothing billable"))
    return events


def _inbound(phone: str, message: dict) -> InboundMessage:
    return InboundMessage(
        phone_number_id=phone, wamid=str(message["id"]),
        wa_id=_opt(message.get("from")), user_id=_opt(message.get("from_user_id")),
        timestamp=_ts(message.get("timestamp")), type=str(message.get("type", "unknown")))


def _status(phone: str, status: dict) -> StatusUpdate:
    pricing = status.get("pricing") if isinstance(status.get("pricing"), dict) else None
    category = normalize_category(pricing.get("category")) if pricing else None
    return StatusUpdate(
        phone_number_id=phone, wamid=str(status["id"]), status=str(status.get("status", "")),
        timestamp=_ts(status.get("timestamp")), recipient_id=_opt(status.get("recipient_id")),
        recipient_user_id=_opt(status.get("recipient_user_id")), category=category,
        pricing=pricing, errors=_dicts(status.get("errors")))


def _opt(value) -> str | None:
    return str(value) if value not in (None, "") else None
