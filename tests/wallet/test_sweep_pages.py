"""The sweep reads its window of wallets a bounded page per store command (service/wallet/
sweep.py): NX-27017 runs a whole `find` under its lock at once, so one unbounded read of 30,000
wallets held every webhook's ledger flush for seconds (bench/tail.py, 100,000 workspaces)."""
import asyncio
import random
import time
from datetime import timedelta

import pytest
from pymongo import monitoring

from service.wallet import sweep
from service.wallet.ledger import MongoLedger
from tests.wallet.test_ledger_batch import (START_BALANCE, charge, conversation, killed_before_entries,
                                            ledger_sums_hold, open_wallets)


class WalletReads(monitoring.CommandListener):
    """Every command on `wallets` that reads documents: its name, and how many it returned;
    when each began and how long it took."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, int]] = []
        self.times: list[tuple[float, float]] = []
        self._ids: dict[int, str] = {}
        self._began: dict[int, float] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "getMore") and "wallets" in (
                event.command.get("find"), event.command.get("collection")):
            self._ids[event.request_id] = event.command_name
            self._began[event.request_id] = time.monotonic()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        name = self._ids.pop(event.request_id, None)
        if name is not None:
            cursor = event.reply.get("cursor", {})
            self.reads.append((name, len(cursor.get("firstBatch", cursor.get("nextBatch", [])))))
            self.times.append((self._began.pop(event.request_id), event.duration_micros / 1e6))

    def failed(self, event) -> None:
        self._ids.pop(event.request_id, None)


@pytest.fixture
async def watched(listening):
    reads = WalletReads()
    return await listening(reads), reads


async def test_the_sweep_reads_no_more_than_a_page_of_wallets_per_command_and_finishes_them_all(
        watched, clock, monkeypatch):
    svc, reads = watched
    since = clock.now() - timedelta(minutes=1)
    wallets = []
    for group in range(10):             # 25 wallets a millisecond: the pages end inside some
        wallets += await open_wallets(svc, clock, 25, f"g{group}")
        clock.advance(timedelta(milliseconds=1))
    dying = killed_before_entries(MongoLedger(svc.db), monkeypatch)
    lost = wallets[140:160]
    await asyncio.gather(*[dying.post(ws, [charge(f"lost:{ws}", 40)], clock.now()) for ws in lost],
                         return_exceptions=True)
    reads.reads.clear()
    finished = await svc.ledger.finalize_recent(since, clock.now() + timedelta(seconds=1))
    assert finished == 250                           # every wallet's last write has a journal
    assert reads.reads and all(name == "find" and n <= sweep.PAGE for name, n in reads.reads)
    assert len(reads.reads) <= 4
    assert await svc.db.ledger.count_documents({"kind": "charge"}) == 20
    assert {await conversation(svc, ws) for ws in lost} == {START_BALANCE - 40}
    assert await ledger_sums_hold(svc, wallets)


async def test_the_periodic_sweep_leaves_the_store_to_the_webhooks_between_its_pages(watched, clock):
    """Its pages back to back met every command of every ledger flush (bench/tail.py: the
    flushes took twice as long during a sweep); it now waits PACE times what a page took."""
    svc, reads = watched
    since = clock.now() - timedelta(minutes=1)
    for group in range(8):
        await open_wallets(svc, clock, 40, f"p{group}")
        clock.advance(timedelta(milliseconds=1))
    reads.times.clear()
    assert await svc.ledger.finalize_recent(since, clock.now(), resume=True) == 320
    assert len(reads.times) >= 4
    for (began, took), (next_began, _) in zip(reads.times, reads.times[1:]):
        assert next_began - began >= (1 + sweep.PACE) * took


async def test_the_pages_hold_every_wallet_of_the_window_once_whatever_shares_a_millisecond(
        watched):
    svc, reads = watched
    docs = [{"_id": f"ws_{i:03d}", "updated_ms": 995 + i % 16} for i in range(80)]   # 5 a millisecond
    docs += [{"_id": f"ws_t{i:02d}", "updated_ms": 1008} for i in range(20)]
    random.Random(16).shuffle(docs)
    await svc.db.wallets.insert_many(docs)
    reads.reads.clear()
    pages = [p async for p in sweep.wallet_pages(svc.db, 1000, 1010, page=7)]
    seen = sorted((d["updated_ms"], d["_id"]) for p in pages for d in p)
    assert seen == sorted((d["updated_ms"], d["_id"]) for d in docs if 1000 <= d["updated_ms"] < 1010)
    assert len(set(seen)) == len(seen)
    # no read returns more than a page, but for a millisecond holding more (1008: 25 wallets)
    assert max(n for _, n in reads.reads) == 25
    assert sorted(n for _, n in reads.reads)[-2] <= 7
