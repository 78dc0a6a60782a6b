"""What the domain needs from the outside world. `service/` implements these on MongoDB."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from billing.rates import RateCard
from billing.wallet import LedgerIntent, Posted
from billing.whatsapp import InboundMessage, StatusUpdate


@dataclass(frozen=True)
class Route:
    """Which workspace a phone number belongs to, and its prices."""
    workspace_id: str
    rates: RateCard


@dataclass(frozen=True)
class MessageRecord:
    """What Saldo knows of one outbound message (one wamid), built from all its statuses."""
    wamid: str
    workspace_id: str
    recipient_id: str | None
    recipient_user_id: str | None
    category: str | None
    rank: int
    first_seen: datetime | None
    delivered_seen_at: datetime | None
    charge_key: str | None


class Ledger(Protocol):
    async def post(self, workspace_id: str, intents: list[LedgerIntent],
                   now: datetime) -> Posted:
        """Apply intents exactly once each (by key); return the entries of every key, and in
        `fresh` the keys this call applied (of concurrent posts of one key, exactly one)."""


class WhatsAppLog(Protocol):
    async def routes(self, phone_number_ids: set[str]) -> dict[str, Route]: ...

    async def rates_for(self, workspace_ids: set[str]) -> dict[str, RateCard]: ...

    async def record_inbound(self, routed: list[tuple[str, InboundMessage]]) -> None: ...

    async def record_statuses(self, routed: list[tuple[str, StatusUpdate]],
                              now: datetime) -> set[str]:
        """Record statuses on their message records; return the wamids whose record this
        call created."""

    async def record_unrouted(self, payload_id: str, events: list, now: datetime) -> None: ...

    async def messages(self, wamids: set[str]) -> list[MessageRecord]: ...

    async def mark_charged(self, charged: dict[str, str]) -> None: ...

    async def had_inbound(self, workspace_id: str, customer_ids: set[str],
                          since: datetime, until: datetime) -> bool: ...

    async def awaiting_charge(self, delivered_before: datetime,
                              limit: int) -> list[MessageRecord]:
        """Delivered before the cutoff, category still unknown, not charged by the sweep."""

