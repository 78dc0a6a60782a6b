"""The wallet as its owner reads it: each balance's buckets, the price of one message from the
workspace's rate card, and about how many messages the balance pays for. The JSON API
(GET …/wallet) and the portal's balance page both read it here."""
from __future__ import annotations

from dataclasses import dataclass

from billing.errors import NotFound
from billing.money import Money
from billing.rates import RateCard
from billing.wallet import BALANCE_KINDS, BalanceKind, Buckets, messages_covered
from service.runtime.context import Services


@dataclass(frozen=True)
class BalanceView:
    kind: BalanceKind
    buckets: Buckets
    rate: Money                 # one reply (conversation) or one broadcast message
    messages: int | None        # about how many such messages it pays for; None: free


async def wallet_state(svc: Services, workspace_id: str) -> tuple[dict[str, Buckets], RateCard]:
    """The balances and the rate card of a workspace (NotFound without a wallet)."""
    balances = await svc.ledger.balances(workspace_id)
    if balances is None:
        raise NotFound("Wallet not found")
    rates = (await svc.routing.rates_for({workspace_id}))[workspace_id]
    return balances, rates


def rate_of(rates: RateCard, balance: str) -> Money:
    return rates.reply_price() if balance == "conversation" else rates.broadcast_price()


async def wallet_summary(svc: Services, workspace_id: str) -> dict[BalanceKind, BalanceView]:
    balances, rates = await wallet_state(svc, workspace_id)
    return {b: BalanceView(b, balances[b], rate_of(rates, b),
                           messages_covered(balances[b], rate_of(rates, b)))
            for b in BALANCE_KINDS}
