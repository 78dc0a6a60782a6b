"""The wallets a process remembers (service/wallet/remembered.py; issue 16, 100,000 workspaces):
every wallet of a large deployment, compactly, so that a webhook of a number that comes back
minutes later writes its wallet without reading it first."""
import asyncio
import gc
import tracemalloc
from datetime import datetime

from bson.codec_options import DEFAULT_CODEC_OPTIONS

from billing.money import Money
from billing.wallet import LedgerIntent
from service.wallet.ledger import REMEMBERED_WALLETS, zero_wallet_doc
from service.wallet.remembered import RememberedWallets
from tests.wallet.test_ledger_batch import charge


WALLETS = 6_000              # more than the 5,000 remembered before
WALLET_BYTES_CEILING = 250   # per remembered wallet (measured ~150; as a dict: ~0.9-2.3 kB)


async def test_a_remembered_wallet_is_what_a_read_of_it_gives(counted, clock):
    svc, _ = counted
    await svc.ledger.open_wallet("ws_mem1", clock.now())
    await svc.ledger.post("ws_mem1", [LedgerIntent("topup:mem1", "topup", "conversation",
                                                   Money.idr(5_000), {})], clock.now())
    await svc.ledger.post("ws_mem1", [charge("wamid.mem1", 30)], clock.now())
    stored = await svc.db.wallets.find_one({"_id": "ws_mem1"})
    taken = svc.ledger.remembered.take("ws_mem1")
    replaced = ("writer", "updated_ms", "last")    # the next write sets them; `last` finalized
    assert {k: v for k, v in taken.items() if k not in replaced} == {
        k: v for k, v in stored.items() if k not in replaced}
    assert taken["last"] == "[]" and taken["seq"] == stored["seq"] == 2


async def test_every_wallet_of_a_large_deployment_is_remembered(counted, clock):
    """Before: 5,000 wallets; round-robin over more, every flush read its wallets."""
    svc, commands = counted
    wallets = [f"ws_mem{i:05d}" for i in range(WALLETS)]
    await svc.db.wallets.insert_many([zero_wallet_doc(ws, clock.now()) for ws in wallets])
    for rnd in range(2):
        commands.seen.clear()
        await asyncio.gather(*(svc.ledger.post(ws, [LedgerIntent(
            f"topup:{ws}:{rnd}", "topup", "conversation", Money.idr(1_000), {})], clock.now())
            for ws in wallets))
        reads = sum(1 for name, coll in commands.seen if (name, coll) == ("find", "wallets"))
        print(f"\nround {rnd}: {reads} wallet finds for {WALLETS} wallets")
    assert reads == 0
    assert (await svc.ledger.balances(wallets[0]))["conversation"].purchased == Money.idr(2_000)


def test_a_remembered_wallet_is_compact():
    wallet = {**zero_wallet_doc("ws_x", datetime(2026, 12, 1)),
              "seq": 1234, "writer": "0123456789abcdef"}
    memory = RememberedWallets(REMEMBERED_WALLETS, DEFAULT_CODEC_OPTIONS)
    ids = [f"ws_{i:024d}" for i in range(5_000)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for ws in ids:
            memory.add(ws, {**wallet, "_id": ws})
        gc.collect()
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    print(f"\n{grown / len(ids):.0f} B per remembered wallet")
    assert grown / len(ids) <= WALLET_BYTES_CEILING
    assert REMEMBERED_WALLETS >= 100_000


def test_a_wallet_of_another_shape_is_remembered_whole():
    memory = RememberedWallets(10, DEFAULT_CODEC_OPTIONS)
    usual = {**zero_wallet_doc("ws_a", datetime(2026, 12, 1)), "seq": 7, "low_balance": {"x": 1}}
    odd = {**usual, "_id": "ws_b", "balances": {**usual["balances"], "conversation": {
        "granted": 1, "purchased": 2, "arrears": 3, "held": 4}}}
    reordered = {**usual, "_id": "ws_c", "balances": dict(reversed(usual["balances"].items()))}
    for doc in (usual, odd, reordered):
        memory.add(doc["_id"], {**doc, "writer": "w", "last": "[{}]"})
        expected = {k: v for k, v in doc.items() if k != "updated_ms"}   # the next write sets it
        assert memory.take(doc["_id"]) == {**expected, "last": "[]", "events": "[]"}
