"""Rate card: what one delivered WhatsApp message costs, by Meta pricing category.

Defaults are the fallback charges: they apply whenever the plan or workspace sets no price of its
own for a category, and whenever a message's category cannot be known (then the 24-hour rule of
`charging.fallback_category` picks a reply or a broadcast).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from billing.errors import ValidationFailed
from billing.money import Money
from billing.wallet import BalanceKind

REPLY_PRICE = Money.idr(30)
BROADCAST_PRICE = Money.idr(650)

CONVERSATION_CATEGORIES = frozenset({"service", "referral_conversion"})
KNOWN_BROADCAST_CATEGORIES = frozenset({
    "marketing", "marketing_lite", "utility", "authentication",
    "authentication-international", "authentication_international",
})
# Used when no status of a message carried pricing: a reply or a broadcast by the 24-hour rule.
FALLBACK_REPLY = "service"
FALLBACK_BROADCAST = "unknown"


CATEGORY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_PRICED_CATEGORIES = 50


def check_categories(categories, field: str) -> None:
    """A rate card is keyed by Meta pricing category (`marketing`, `authentication-
    international`…): lowercase letters, digits, `_` and `-`. Anything else is refused before it
    becomes a document key (a NUL cannot be stored; `.`, `$` and empty keys are not portable)."""
    bad = [c for c in categories if not CATEGORY_PATTERN.match(c)]
    if bad:
        raise ValidationFailed("Rate categories are Meta pricing categories (lowercase letters, "
                               "digits, _ and -)", field=field, details={"categories": bad[:10]})
    if len(categories) > MAX_PRICED_CATEGORIES:
        raise ValidationFailed(f"At most {MAX_PRICED_CATEGORIES} priced categories", field=field)


def normalize_category(raw: object) -> str | None:
    """A Meta pricing category as Saldo keys it (`" Utility "` → `utility`); None for anything
    that is not one (not a string, empty, or outside `CATEGORY_PATTERN`)."""
    if type(raw) is not str or len(raw) > 100:
        return None
    return _normalized(raw)


@lru_cache(maxsize=256)
def _normalized(raw: str) -> str | None:
    text = raw.strip().lower()
    return text if CATEGORY_PATTERN.match(text) else None


def balance_for(category: str) -> BalanceKind:
    return "conversation" if category in CONVERSATION_CATEGORIES else "broadcast"


def default_price(category: str) -> Money:
    return REPLY_PRICE if balance_for(category) == "conversation" else BROADCAST_PRICE


@dataclass(frozen=True)
class RateCard:
    """Prices per category: the plan's card with the workspace's overrides on top."""
    plan_rates: dict[str, Money] = field(default_factory=dict)
    overrides: dict[str, Money] = field(default_factory=dict)

    def price(self, category: str) -> Money:
        if category in self.overrides:
            return self.overrides[category]
        if category in self.plan_rates:
            return self.plan_rates[category]
        return default_price(category)

    def reply_price(self) -> Money:
        return self.price(FALLBACK_REPLY)

    def broadcast_price(self) -> Money:
        return self.price("marketing")
