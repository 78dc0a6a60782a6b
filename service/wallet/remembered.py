"""The wallets a process remembers (issue 16, 100,000 workspaces): its own last write of each,
once finalized, so that the next write starts from it without a read (service/wallet/ledger.py).
A hint only: a stale copy makes the conditional write on `seq` fail and the wallet is read.

Compact, so that every wallet of a large deployment fits: each is kept as the BSON the store
holds (encoded with the database's codec options, so a copy taken back equals what a read of it
would give), without what the next write replaces anyway (`_id`, `last`, `events`, `writer`,
`updated_ms`): ~240 B a wallet (tracemalloc) instead of ~0.9-2.3 kB as a dict. Bounded: the oldest is dropped first."""
from __future__ import annotations

import bson
from bson.codec_options import CodecOptions

from service.wallet import alerts

REPLACED = ("_id", "last", "events", "writer", "updated_ms")   # every wallet write sets them


class RememberedWallets:
    def __init__(self, limit: int, codec_options: CodecOptions) -> None:
        self.limit = limit
        self._codec = codec_options
        self._items: dict[str, bytes] = {}     # insertion-ordered: the first is the oldest

    def add(self, workspace_id: str, wallet: dict) -> None:
        kept = {k: v for k, v in wallet.items() if k not in REPLACED}
        self._items.pop(workspace_id, None)
        self._items[workspace_id] = bson.encode(kept, codec_options=self._codec)
        while len(self._items) > self.limit:
            del self._items[next(iter(self._items))]

    def take(self, workspace_id: str) -> dict | None:
        """Forget the wallet; the document as this process last wrote it, journal finalized."""
        data = self._items.pop(workspace_id, None)
        if data is None:
            return None
        return {"_id": workspace_id, **bson.decode(data, codec_options=self._codec),
                "last": "[]", "events": alerts.NO_EVENTS}

    def __contains__(self, workspace_id: object) -> bool:
        return workspace_id in self._items

    def __len__(self) -> int:
        return len(self._items)
