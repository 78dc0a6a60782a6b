"""The transaction-free ledger protocol (service/wallet/ledger.py) under races and crashes."""
import asyncio
from datetime import timedelta

import pytest

from billing.money import Money
from billing.wallet import LedgerIntent
from service.runtime.context import SERVICES
from service.wallet.ledger import MongoLedger
from service.reconcile.reconcile import reconcile
from service.whatsapp import webhooks
from tests.helpers import PHONE_A, Api


@pytest.fixture
async def app_and_api(aiohttp_client, make_app, clock):
    app = make_app()
    client = await aiohttp_client(app)
    return app, Api(client, clock)


async def ledger_sums_hold(api) -> bool:
    """The ledger half of reconcile: these tests post synthetic charges (any key, any amount),
    which the cause half (billing/reconcile.py) rightly reports as charges of no rate card."""
    body = await api.reconcile()
    return all(b["ok"] for w in body["workspaces"] for b in w["balances"].values())


def charge(key: str, amount: int, balance: str = "conversation") -> LedgerIntent:
    return LedgerIntent(key, "charge", balance, Money.idr(amount), {"wamid": key})


async def post_and_die_before_finalizing(ledger, ws, intent, now, monkeypatch) -> None:
    """The process is killed after the wallet's conditional update, before the entry reaches
    the ledger collection."""
    real_finalize = ledger.finalize

    async def die(docs, *, check=True):
        if any(d["_id"] == intent.key for d in docs):
            raise ConnectionError("process killed")
        await real_finalize(docs, check=check)

    monkeypatch.setattr(ledger, "finalize", die)
    with pytest.raises(ConnectionError):
        await ledger.post(ws, [intent], now)
    monkeypatch.setattr(ledger, "finalize", real_finalize)


async def test_two_processes_posting_the_same_keys_apply_each_once(app_and_api, clock):
    app, api = app_and_api
    ws, key = await api.create_workspace([PHONE_A])
    db = app[SERVICES].db
    first, second = MongoLedger(db), MongoLedger(db)  # two processes: no shared in-memory queue
    intents = [charge(f"k{i}", 100) for i in range(40)]
    await asyncio.gather(*[ledger.post(ws, intents[i::3], clock.now())
                           for ledger in (first, second) for i in range(3)])
    assert await api.amounts(ws, key) == {"conversation": (11000, 0, 0), "broadcast": (0, 0, 0)}
    assert await db.ledger.count_documents({"workspace_id": ws, "kind": "charge"}) == 40
    assert await ledger_sums_hold(api)


async def test_racing_writers_on_one_wallet_lose_no_update(app_and_api, clock):
    app, api = app_and_api
    ws, key = await api.create_workspace([PHONE_A])
    db = app[SERVICES].db
    ledgers = [MongoLedger(db) for _ in range(6)]
    await asyncio.gather(*[ledgers[i % 6].post(ws, [charge(f"race{i}", 7)], clock.now())
                           for i in range(120)])
    assert await api.amounts(ws, key) == {"conversation": (15000 - 840, 0, 0),
                                          "broadcast": (0, 0, 0)}
    assert await ledger_sums_hold(api)


async def test_crash_after_wallet_update_is_finished_by_the_next_writer(app_and_api, clock,
                                                                       monkeypatch):
    app, api = app_and_api
    ws, key = await api.create_workspace([PHONE_A])
    svc = app[SERVICES]
    await post_and_die_before_finalizing(svc.ledger, ws, charge("lost-step", 500), clock.now(),
                                         monkeypatch)

    assert await svc.db.ledger.find_one({"_id": "lost-step"}) is None  # not in the ledger yet
    report = await reconcile(svc, [ws])
    assert vars(report.workspaces[0].balances["conversation"]) == {
        "ledger_sum": 14500, "balance": 14500, "ok": True}
    await svc.ledger.post(ws, [charge("lost-step", 500), charge("next", 30)], clock.now())
    assert await api.amounts(ws, key) == {"conversation": (14470, 0, 0), "broadcast": (0, 0, 0)}
    assert await svc.db.ledger.find_one({"_id": "lost-step"}) is not None
    assert await ledger_sums_hold(api)


async def test_the_sweep_finishes_an_idle_wallets_interrupted_write(app_and_api, clock,
                                                                    monkeypatch):
    app, api = app_and_api
    ws, key = await api.create_workspace([PHONE_A])
    svc = app[SERVICES]
    await post_and_die_before_finalizing(svc.ledger, ws, charge("idle", 30), clock.now(),
                                         monkeypatch)

    async def history() -> list[str]:
        resp = await api.client.get(f"/v1/workspaces/{ws}/wallet/usage", headers=api.auth(key))
        return [e["id"] for e in (await resp.json())["entries"]]

    assert "idle" not in await history()       # balance already moved, entry not yet listed
    clock.advance(timedelta(minutes=1))         # nobody writes to this wallet again
    await webhooks.sweep(svc)
    assert (await history())[0] == "idle"
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
    assert await ledger_sums_hold(api)


async def test_a_writer_finishes_what_another_process_left_after_its_own_last_write(
        app_and_api, clock, monkeypatch):
    """The first process remembers that it finalized its own last write; once a second process
    has moved the wallet on (and died before finalizing), that memory must not hide the second
    process's entries."""
    app, api = app_and_api
    ws, key = await api.create_workspace([PHONE_A])
    db = app[SERVICES].db
    first, second = MongoLedger(db), MongoLedger(db)
    await first.post(ws, [charge("mine", 30)], clock.now())
    await post_and_die_before_finalizing(second, ws, charge("theirs", 500), clock.now(),
                                         monkeypatch)
    await first.post(ws, [charge("theirs", 500), charge("mine-again", 30)], clock.now())
    assert await api.amounts(ws, key) == {"conversation": (14440, 0, 0), "broadcast": (0, 0, 0)}
    assert await db.ledger.find_one({"_id": "theirs"}) is not None
    assert await ledger_sums_hold(api)
