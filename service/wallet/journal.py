"""One wallet write of the ledger protocol (service/wallet/ledger.py), computed without I/O.

The intents are applied in order (pure `billing.wallet.apply_intent`); the result is their
entries, the entry documents the ledger collection will hold, the alerts the write raises, and
the wallet document that replaces the one read (`seq` + 1, `last` = the entries as one JSON
string). The single-wallet path and the flush across wallets (ledger_batch.py) both write
exactly this; the flush also marks the wallet and its entries with its `writer` token.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from billing.wallet import BALANCE_KINDS, Entry, LedgerIntent, apply_intent
from service.mongo.docs import buckets_from_doc, buckets_to_doc, entry_to_doc, to_ms
from service.wallet import alerts

ORDER_STRIDE = 1000  # entry order = seq * ORDER_STRIDE + index; <= 2 entries per intent


@dataclass(frozen=True, slots=True)
class WalletWrite:
    results: dict[str, list[Entry]]     # intent key -> its entries
    entry_docs: list[dict]              # to insert into the ledger collection (step 3)
    events: str                         # the alerts it raises, journaled (alerts.py)
    replacement: dict                   # the wallet document after it


def wallet_write(wallet: dict, workspace_id: str, todo: list[LedgerIntent], now: datetime,
                 writer: str | None = None) -> WalletWrite:
    """The write applying `todo` (none of them applied yet) to the wallet document read."""
    seq = wallet["seq"] + 1
    currency = wallet.get("currency", "IDR")
    state = {b: buckets_from_doc(wallet["balances"][b], currency) for b in BALANCE_KINDS}
    before = dict(state)
    results: dict[str, list[Entry]] = {}
    docs: list[dict] = []
    for intent in todo:
        state[intent.balance], entries = apply_intent(state[intent.balance], intent)
        results[intent.key] = entries
        for entry in entries:
            doc = entry_to_doc(workspace_id, entry, intent, seq, seq * ORDER_STRIDE + len(docs),
                               now)
            if writer is not None:
                doc["writer"] = writer
            docs.append(doc)
    events = alerts.journal(workspace_id, seq, wallet, before, state, now)
    replacement = {**wallet, "seq": seq, "last": journal_of(docs), "updated_ms": to_ms(now),
                   "balances": {b: buckets_to_doc(state[b]) for b in BALANCE_KINDS},
                   "events": events, "writer": writer}
    return WalletWrite(results, docs, events, replacement)


def journal_of(entry_docs: list[dict]) -> str:
    """The wallet's `last`: entry documents as one JSON string."""
    return _COMPACT.encode(entry_docs)


# `json.dumps(..., separators=...)` builds an encoder at every call; this one is made once
# (the same output).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def unjournal(wallet: dict) -> list[dict]:
    """The entry documents of the wallet's last update, ready to insert into the ledger."""
    last = wallet.get("last")
    return json.loads(last) if last and last != "[]" else []   # finalized: nothing to parse
