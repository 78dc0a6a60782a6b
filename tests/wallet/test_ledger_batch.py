"""The ledger's flush across wallets (service/wallet/ledger_batch.py): a constant number of store
commands whatever the number of wallets, lost races retried without holding up the winners,
and the protocol's crash safety for many wallets at once."""
import asyncio
from datetime import timedelta

from pymongo.asynchronous.collection import AsyncCollection

from billing.money import Money
from billing.wallet import LedgerIntent
from service.reconcile.reconcile import reconcile
from service.wallet.ledger import MongoLedger

START_BALANCE = 10_000


def charge(key: str, amount: int) -> LedgerIntent:
    return LedgerIntent(key, "charge", "conversation", Money.idr(amount), {"wamid": key})


async def open_wallets(svc, clock, count: int, tag: str) -> list[str]:
    """`count` wallets holding START_BALANCE of purchased credit each."""
    wallets = [f"ws_{tag}{i:03d}" for i in range(count)]
    for ws in wallets:
        await svc.ledger.open_wallet(ws, clock.now())
    await asyncio.gather(*[svc.ledger.post(ws, [LedgerIntent(
        f"topup:{ws}", "topup", "conversation", Money.idr(START_BALANCE), {})], clock.now())
        for ws in wallets])
    return wallets


def killed_before_entries(ledger: MongoLedger, monkeypatch, prefix: str = "lost:") -> MongoLedger:
    """`ledger`, killed (ConnectionError) after its wallets' write and before their entries reach
    the ledger collection, in every post holding a key that starts with `prefix`."""
    real_finalize = ledger.finalize

    async def die(docs, *, check=True):
        if any(d["_id"].startswith(prefix) for d in docs):
            raise ConnectionError("process killed")
        await real_finalize(docs, check=check)

    monkeypatch.setattr(ledger, "finalize", die)
    return ledger


async def conversation(svc, ws: str) -> int:
    return (await svc.ledger.balances(ws))["conversation"].net.amount


async def ledger_sums_hold(svc, wallets: list[str]) -> bool:
    """Every balance equals its ledger plus its unfinalized journal (reconcile's ledger half)."""
    report = await reconcile(svc, wallets)
    assert len(report.workspaces) == len(wallets)
    return all(b.ok for w in report.workspaces for b in w.balances.values())


async def test_concurrent_posts_to_many_wallets_cost_as_many_store_commands_as_to_few(
        counted, clock):
    svc, commands = counted
    few, many = await open_wallets(svc, clock, 3, "few"), await open_wallets(svc, clock, 30, "many")

    async def commands_of(ledger: MongoLedger, wallets: list[str], tag: str) -> list[str]:
        commands.seen.clear()
        posted = await asyncio.gather(*[ledger.post(ws, [charge(f"{tag}:{ws}", 70)],
                                                     clock.now()) for ws in wallets])
        assert all(p.fresh == {f"{tag}:{ws}"} for p, ws in zip(posted, wallets))
        return [f"{name} {collection}" for name, collection in commands.seen]

    cold = MongoLedger(svc.db)     # another process: remembers no wallet, reads them
    assert await commands_of(cold, few, "a") == await commands_of(cold, many, "a") == [
        "find wallets", "find ledger", "update wallets", "insert ledger"]
    # Now it remembers its own last write of each wallet: no read.
    assert await commands_of(cold, few, "b") == await commands_of(cold, many, "b") == [
        "find ledger", "update wallets", "insert ledger"]
    assert {await conversation(svc, ws) for ws in few + many} == {START_BALANCE - 140}
    assert await ledger_sums_hold(svc, few + many)


async def test_a_wallet_changed_by_another_writer_is_retried_without_holding_up_the_others(
        counted, clock, monkeypatch):
    svc, commands = counted
    wallets = await open_wallets(svc, clock, 5, "race")
    ledger = svc.ledger                       # remembers its last write of every wallet
    await MongoLedger(svc.db).post(wallets[2], [charge("theirs", 500)], clock.now())
    real_requeue, gate, requeued = ledger.requeue, asyncio.Event(), []

    def held_requeue(post):                   # the loser's next try waits for the gate
        requeued.append(post.workspace_id)
        answer = asyncio.get_running_loop().create_future()

        async def later():
            await gate.wait()
            answer.set_result(await real_requeue(post))
        asyncio.ensure_future(later())
        return answer

    monkeypatch.setattr(ledger, "requeue", held_requeue)
    posts = {ws: asyncio.ensure_future(ledger.post(ws, [charge(f"mine:{ws}", 30)], clock.now()))
             for ws in wallets}
    winners = [posts[ws] for ws in wallets if ws != wallets[2]]
    await asyncio.wait_for(asyncio.gather(*winners), timeout=30)
    assert requeued == [wallets[2]] and not posts[wallets[2]].done()
    assert all(w.result().fresh for w in winners)
    gate.set()
    assert (await posts[wallets[2]]).fresh == {f"mine:{wallets[2]}"}
    assert [await conversation(svc, ws) for ws in wallets] == [
        START_BALANCE - 30, START_BALANCE - 30, START_BALANCE - 530, START_BALANCE - 30,
        START_BALANCE - 30]
    assert await svc.db.ledger.count_documents({"kind": "charge"}) == 6
    assert await ledger_sums_hold(svc, wallets)


async def test_a_won_wallet_moved_on_before_the_winners_are_known_still_counts_as_won(
        counted, clock, monkeypatch):
    """A bulk write reports only totals: when one wallet lost, the flush reads which won. A
    winner another process moved on in between is known by its entries (that process
    finalized them first): charged once, and reported as charged by this post."""
    svc, commands = counted
    wallets = await open_wallets(svc, clock, 3, "moved")
    ledger, other = svc.ledger, MongoLedger(svc.db)
    await other.post(wallets[1], [charge("theirs", 500)], clock.now())   # wallets[1] will lose
    real_bulk_write = AsyncCollection.bulk_write

    async def then_moved_on(collection, requests, **kwargs):
        result = await real_bulk_write(collection, requests, **kwargs)
        if collection.name == "wallets" and len(requests) == 3:
            await other.post(wallets[0], [charge("after", 20)], clock.now())
        return result

    monkeypatch.setattr(AsyncCollection, "bulk_write", then_moved_on)
    posted = await asyncio.gather(*[ledger.post(ws, [charge(f"mine:{ws}", 30)], clock.now())
                                    for ws in wallets])
    assert [p.fresh for p in posted] == [{f"mine:{ws}"} for ws in wallets]
    assert [await conversation(svc, ws) for ws in wallets] == [
        START_BALANCE - 50, START_BALANCE - 530, START_BALANCE - 30]
    assert await svc.db.ledger.count_documents({"kind": "charge"}) == 5
    assert await ledger_sums_hold(svc, wallets)


async def test_killed_between_the_wallets_write_and_the_entries_insert_every_wallet_recovers(
        counted, clock, monkeypatch):
    svc, commands = counted
    wallets = await open_wallets(svc, clock, 4, "crash")
    dying = killed_before_entries(svc.ledger, monkeypatch)
    posted = await asyncio.gather(*[dying.post(ws, [charge(f"lost:{ws}", 40)], clock.now())
                                    for ws in wallets], return_exceptions=True)
    assert all(isinstance(p, ConnectionError) for p in posted)
    assert await svc.db.ledger.count_documents({"kind": "charge"}) == 0   # only in `last`
    assert {await conversation(svc, ws) for ws in wallets} == {START_BALANCE - 40}
    assert await ledger_sums_hold(svc, wallets)

    survivor = MongoLedger(svc.db)      # the caller's recovery posts again, elsewhere
    posted = await asyncio.gather(*[survivor.post(
        ws, [charge(f"lost:{ws}", 40), charge(f"next:{ws}", 5)], clock.now()) for ws in wallets])
    assert [p.fresh for p in posted] == [{f"next:{ws}"} for ws in wallets]
    assert {await conversation(svc, ws) for ws in wallets} == {START_BALANCE - 45}
    assert await svc.db.ledger.count_documents({"kind": "charge"}) == 8
    assert await ledger_sums_hold(svc, wallets)


async def test_a_post_answers_the_entries_it_applied_as_well_as_those_applied_before(
        counted, clock):
    """`MongoLedger.post`: every key's entries, those this post applied included (the flush
    across wallets answered [] for them: only the single-wallet path gave them)."""
    svc, _ = counted
    [ws] = await open_wallets(svc, clock, 1, "entries")
    first, again = [await svc.ledger.post(ws, [charge("c:1", 70)], clock.now()) for _ in "12"]
    assert first.fresh == {"c:1"} and again.fresh == set()
    for posted in (first, again):
        [entry] = posted["c:1"]
        assert (entry.balance, entry.amount) == ("conversation", Money.idr(-70))


async def test_the_sweep_finishes_many_wallets_writes_in_a_few_commands_not_one_per_wallet(
        counted, clock, monkeypatch):
    """`finalize_recent` (the sweep): the journals of every wallet its window finds are checked
    against the ledger and inserted together, a page at a time. It read the ledger once per
    wallet: at 100,000 workspaces, tens of thousands of commands every 30 s."""
    svc, commands = counted
    wallets = await open_wallets(svc, clock, 60, "swept")
    dying = killed_before_entries(MongoLedger(svc.db), monkeypatch)
    lost = await asyncio.gather(*[dying.post(ws, [charge(f"lost:{ws}", 40)], clock.now())
                                  for ws in wallets[:20]], return_exceptions=True)
    assert all(isinstance(p, ConnectionError) for p in lost)
    commands.seen.clear()
    since = clock.now() - timedelta(hours=1)
    finished = await svc.ledger.finalize_recent(since, clock.now() + timedelta(seconds=1))
    ledger_commands = [c for c in commands.seen if c[1] == "ledger"]
    assert finished == 60                          # every wallet's last write has a journal
    assert ledger_commands == [("find", "ledger"), ("insert", "ledger")]   # 20 were lost
    assert await svc.db.ledger.count_documents({"kind": "charge"}) == 20
    assert {await conversation(svc, ws) for ws in wallets[:20]} == {START_BALANCE - 40}
    assert await ledger_sums_hold(svc, wallets)
