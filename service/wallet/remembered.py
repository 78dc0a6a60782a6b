"""The wallets a process remembers (issue 16, 100,000 workspaces): its own last write of each,
once finalized, so that the next write starts from it without a read (service/wallet/ledger.py).
A hint only: a stale copy makes the conditional write on `seq` fail and the wallet is read.

Compact, so that every wallet of a large deployment fits in a web process (RSS <= 150 MB at
100,000 workspaces): without what the next write replaces anyway (`_id`, `last`, `events`,
`writer`, `updated_ms`), `seq` and the balances packed as eight-byte integers, the rest of the
document (currency, creation time, alert thresholds...) as the BSON the store holds, encoded
with the database's codec options, so that a copy taken back equals what a read would give.
A wallet whose balances have another shape is kept whole as BSON. ~150 B a wallet
(tracemalloc) instead of ~0.9-2.3 kB as a dict. Bounded: the oldest is dropped first."""
from __future__ import annotations

import struct

import bson
from bson.codec_options import CodecOptions

from billing.wallet import BALANCE_KINDS
from service.wallet import alerts

REPLACED = ("_id", "last", "events", "writer", "updated_ms")   # every wallet write sets them
BUCKETS = ("granted", "purchased", "arrears")                  # service/mongo/docs.py's order
PACKED = struct.Struct("<" + "q" * (1 + len(BALANCE_KINDS) * len(BUCKETS)))


class RememberedWallets:
    def __init__(self, limit: int, codec_options: CodecOptions) -> None:
        self.limit = limit
        self._codec = codec_options
        self._items: dict[str, bytes] = {}     # insertion-ordered: the first is the oldest

    def add(self, workspace_id: str, wallet: dict) -> None:
        kept = {k: v for k, v in wallet.items() if k not in REPLACED}
        numbers = _numbers(kept)
        if numbers is None:
            data = b"\0" + bson.encode(kept, codec_options=self._codec)
        else:
            rest = {k: v for k, v in kept.items() if k not in ("seq", "balances")}
            data = b"\1" + PACKED.pack(*numbers) + bson.encode(rest, codec_options=self._codec)
        self._items.pop(workspace_id, None)
        self._items[workspace_id] = data
        while len(self._items) > self.limit:
            del self._items[next(iter(self._items))]

    def take(self, workspace_id: str) -> dict | None:
        """Forget the wallet; the document as this process last wrote it, journal finalized."""
        data = self._items.pop(workspace_id, None)
        if data is None:
            return None
        if data[0] == 0:
            kept = bson.decode(data[1:], codec_options=self._codec)
        else:
            numbers = PACKED.unpack_from(data, 1)
            kept = bson.decode(data[1 + PACKED.size:], codec_options=self._codec)
            kept["seq"] = numbers[0]
            kept["balances"] = {kind: dict(zip(BUCKETS, numbers[1 + 3 * n:4 + 3 * n]))
                                for n, kind in enumerate(BALANCE_KINDS)}
        return {"_id": workspace_id, **kept, "last": "[]", "events": alerts.NO_EVENTS}

    def __contains__(self, workspace_id: object) -> bool:
        return workspace_id in self._items

    def __len__(self) -> int:
        return len(self._items)


def _numbers(wallet: dict) -> tuple[int, ...] | None:
    """`seq` and every bucket, in order, if the wallet has exactly that shape (int64s)."""
    balances, numbers = wallet.get("balances"), [wallet.get("seq")]
    if not isinstance(balances, dict) or list(balances) != list(BALANCE_KINDS):
        return None
    for kind in BALANCE_KINDS:
        if not isinstance(balances[kind], dict) or list(balances[kind]) != list(BUCKETS):
            return None
        numbers += [balances[kind][b] for b in BUCKETS]
    if set(map(type, numbers)) != {int} or min(numbers) < -2**63 or max(numbers) >= 2**63:
        return None         # (builtins only: no generator per wallet write)
    return tuple(numbers)
