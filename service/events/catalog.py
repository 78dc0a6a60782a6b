"""The event catalog: every type Saldo emits (README, "Events", shows a sample of each).

A type is `<object>.<what happened>`, past tense. A filter names types exactly or by a prefix
ending in `*` (`subscription.*`, `wallet.*`), expanded here against the catalog, so a filter
that matches no type is refused (422 on `type`) instead of silently matching nothing.
"""
from __future__ import annotations

from billing.errors import ValidationFailed

EVENT_TYPES: tuple[str, ...] = (
    "invoice.created", "invoice.paid", "invoice.expired", "invoice.cancelled", "invoice.failed",
    "payment.succeeded", "payment.failed", "payment.needs_refund", "payment.refunded",
    "topup.completed", "topup.expired", "topup.cancelled", "topup.failed",
    "subscription.created", "subscription.changed", "subscription.change_scheduled",
    "subscription.change_unscheduled",
    "subscription.renewed", "subscription.canceled", "subscription.moved_to_free",
    "subscription.grace_started",
    "subscription.addon_added", "subscription.addon_updated", "subscription.addon_removed",
    "entitlements.changed",
    "wallet.balance_low", "wallet.depleted", "wallet.arrears_started", "wallet.arrears_settled",
    "addon.created", "addon.updated", "addon.deleted",
    "webhook_endpoint.disabled",
)
MAX_PATTERNS = 40


def expand(patterns: str, catalog: tuple[str, ...] = EVENT_TYPES) -> list[str]:
    """`"invoice.paid,subscription.*"` → the catalog's types it names; 422 on `type` if a
    pattern names none (or there are too many)."""
    parts = [p.strip() for p in patterns.split(",") if p.strip()]
    if not parts or len(parts) > MAX_PATTERNS:
        raise ValidationFailed(f"type: one to {MAX_PATTERNS} event types, comma-separated",
                               field="type")
    out: list[str] = []
    for part in parts:
        found = [t for t in catalog if _matches(part, t)]
        if not found:
            raise ValidationFailed(f"Unknown event type {part[:60]!r}", field="type")
        out.extend(t for t in found if t not in out)
    return out


def _matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern
