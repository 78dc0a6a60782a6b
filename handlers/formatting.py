"""Money and locale for responses (the formatter lives in service/runtime/formatting.py, shared
with the event payloads of service/events/shapes.py)."""
from __future__ import annotations

from service.runtime.formatting import format_money, locale_from, money_out

__all__ = ["format_money", "locale_from", "money_out"]
