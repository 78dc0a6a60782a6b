"""Money and locale as the API shows them: every money field carries a Babel-formatted string.
Shared by handlers (responses) and service/events/shapes.py (event payloads)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

from billing.money import BILLED_DIGITS, Money


def locale_from(header: str | None) -> str:
    """`Accept-Language` → 'id' (default) or 'en'."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("id") or tag.startswith("in"):
            return "id"
    return "id"


@lru_cache(maxsize=4096)      # a pure function of frozen values; Babel's formatting is slow
def format_money(money: Money, locale: str) -> str:
    digits = BILLED_DIGITS[money.currency]
    value = Decimal(money.amount).scaleb(-digits)
    pattern = "¤#,##0" + ("." + "0" * digits if digits else "")
    text = format_currency(value, money.currency, format=pattern, locale=locale,
                           currency_digits=False)
    # CLDR separates an alphabetic symbol from the number ("IDR 15,000"); Babel does not.
    sign = "-" if text.startswith("-") else ""
    body = text[len(sign):]
    cut = next((i for i, ch in enumerate(body) if ch.isdigit()), len(body))
    symbol = body[:cut]
    if symbol.isalpha() and len(symbol) == 3:
        body = f"{symbol} {body[cut:]}"
    return sign + body


def money_out(money: Money, locale: str) -> dict:
    return {"amount": money.amount, "currency": money.currency,
            "formatted": format_money(money, locale)}
