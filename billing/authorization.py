"""Authorize before sending: may the console send `count` replies or broadcast messages?"""
from __future__ import annotations

from typing import Literal

from billing.errors import InsufficientBalance
from billing.money import Money
from billing.rates import RateCard
from billing.wallet import Authorization, BalanceKind, Buckets, authorize

SendKind = Literal["reply", "broadcast"]


def authorize_send(balances: dict[BalanceKind, Buckets], rates: RateCard, kind: SendKind,
                   count: int, arrears_limit: Money) -> tuple[BalanceKind, Authorization]:
    """Replies may run into arrears up to `arrears_limit`; broadcasts may not.
    Raises InsufficientBalance (with the figures) when not allowed."""
    balance: BalanceKind = "conversation" if kind == "reply" else "broadcast"
    price = rates.reply_price() if kind == "reply" else rates.broadcast_price()
    result = authorize(balances[balance], price * count, may_use_arrears=kind == "reply",
                       arrears_limit=arrears_limit)
    if not result.allowed:
        raise InsufficientBalance(
            f"The {balance} balance does not cover {count} {kind} message(s)", field="count",
            details={"balance": balance, "cost": result.cost.amount,
                     "available": result.available.amount, "currency": result.cost.currency})
    return balance, result
