"""Low-balance alerts (issue 15), pure: the wallet events one applied write of a wallet raises.

A balance's level is what it can still pay: granted + purchased − arrears (`Buckets.net`;
negative while in arrears). Per balance, with its threshold (whole rupiah, settable by the
workspace; defaults: conversation Rp3.000 = 100 replies, broadcast Rp6.500 = 10 broadcasts):

- `wallet.balance_low` when the write takes the level from above the threshold to at or below
  it: a charge crossing it downwards. It fires once: the charges after it start at or below the
  threshold, so they cross nothing. A credit that lifts the level above the threshold re-arms
  it: the next crossing fires again. A threshold of 0 turns it off (`wallet.depleted` says it).
- `wallet.depleted` when the level goes from above zero to zero or below.
- `wallet.arrears_started` when arrears go from none to some; `wallet.arrears_settled` when a
  credit pays the last of them.

No alert state is stored: the crossing is read off the levels before and after one
conditional wallet write (service/wallet/ledger.py), and each write happens exactly once (its
`seq`), so an alert is raised at most once per crossing, whatever the batching (a flush of many
charges crosses once), re-drives (already applied intents change nothing) or concurrent
writers (the conditional write serializes them). Raising a threshold above the current level
fires nothing until a charge crosses it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from billing.money import Money
from billing.wallet import BALANCE_KINDS, Buckets

DEFAULT_THRESHOLDS: Mapping[str, int] = {"conversation": 3_000, "broadcast": 6_500}
MAX_THRESHOLD = 1_000_000_000


@dataclass(frozen=True)
class WalletAlert:
    type: str                 # wallet.balance_low | depleted | arrears_started | arrears_settled
    balance: str
    threshold: Money


def thresholds(stored: Mapping[str, int] | None) -> dict[str, int]:
    """The workspace's thresholds: the stored ones over the defaults."""
    if not stored:                      # most wallets: the defaults (every wallet write asks)
        return {b: DEFAULT_THRESHOLDS[b] for b in BALANCE_KINDS}
    return {b: int(stored.get(b, DEFAULT_THRESHOLDS[b])) for b in BALANCE_KINDS}


def alerts(before: Mapping[str, Buckets], after: Mapping[str, Buckets],
           limits: Mapping[str, int]) -> list[WalletAlert]:
    """What the write from `before` to `after` raises, balance by balance."""
    out: list[WalletAlert] = []
    for b in BALANCE_KINDS:
        old, new = before[b], after[b]
        if old is new:      # a balance the write did not touch crosses nothing (every rule
            continue        # below needs a change); a webhook's write touches one of two
        old_net, new_net = old.net, new.net     # each computed once (Money arithmetic)
        if (new_net.amount > max(limits[b], 0)
                and old.arrears.is_zero() == new.arrears.is_zero()):
            continue        # still above the threshold and zero, arrears as they were: no
            #                 rule below can hold (a webhook's usual charge)
        threshold = Money(limits[b], new_net.currency)
        zero = Money.zero(new_net.currency)
        if limits[b] > 0 and old_net > threshold >= new_net:
            out.append(WalletAlert("wallet.balance_low", b, threshold))
        if old_net > zero >= new_net:
            out.append(WalletAlert("wallet.depleted", b, threshold))
        if old.arrears.is_zero() and not new.arrears.is_zero():
            out.append(WalletAlert("wallet.arrears_started", b, threshold))
        if not old.arrears.is_zero() and new.arrears.is_zero():
            out.append(WalletAlert("wallet.arrears_settled", b, threshold))
    return out
