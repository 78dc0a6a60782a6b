"""Low-balance alerts (issue 15 item 2): wallet.balance_low once per downward crossing (not per
charge, not per webhook), re-armed by a credit; wallet.depleted at zero; arrears started and
settled; thresholds settable per workspace and balance; exactly once under re-drives and two
processes writing one wallet."""
import asyncio
from datetime import timedelta

from billing.money import Money
from billing.wallet import LedgerIntent
from service.wallet import alerts
from service.wallet.ledger import MongoLedger
from tests.events.helpers import all_events
from tests.helpers import PHONE_A, app_services, multi_status_payload, press_pay, status, topup

ALERTS = "/v1/workspaces/{ws}/balance-alerts"


def replies(first: int, n: int) -> dict:
    return multi_status_payload([(PHONE_A, [status(f"wamid.R{i}", "delivered")
                                            for i in range(first, first + n)])])


async def wallet_events(api, key, ws):
    return [e for e in await all_events(api, key, type="wallet.*")
            if e["workspace_id"] == ws]


async def set_alerts(api, ws, key, **thresholds):
    resp = await api.client.put(ALERTS.format(ws=ws), json=thresholds, headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_defaults_and_validation_of_the_thresholds(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.get(ALERTS.format(ws=ws), headers=api.auth(key))
    shown = (await resp.json())["thresholds"]
    assert {b: m["formatted"] for b, m in shown.items()} == {"conversation": "Rp3.000",
                                                             "broadcast": "Rp6.500"}
    body = await set_alerts(api, ws, key, conversation=14_950)
    assert body["thresholds"]["conversation"]["amount"] == 14_950
    assert body["thresholds"]["broadcast"]["amount"] == 6_500          # kept
    for bad in ({"conversation": -1}, {"broadcast": 12.5}, {"broadcast": "100"},
                {"conversation": 10, "sms": 5}):
        resp = await api.client.put(ALERTS.format(ws=ws), json=bad, headers=api.auth(key))
        body = await resp.json()
        assert resp.status == 422, body
        assert body["error"]["field"] in ("conversation", "broadcast", "sms"), body


async def test_a_charge_crossing_the_threshold_alerts_once_not_per_charge(api):
    ws, key = await api.create_workspace([PHONE_A])                 # Rp15.000 granted
    await set_alerts(api, ws, key, conversation=14_950)
    assert (await api.webhook(replies(0, 1))).status == 200         # 14.970: above
    assert await wallet_events(api, key, ws) == []
    assert (await api.webhook(replies(1, 3))).status == 200         # 14.880: crossed
    for first in (4, 9, 14):                                        # further charges, below
        assert (await api.webhook(replies(first, 5))).status == 200
    assert (await api.webhook(replies(1, 3))).status == 200         # a replayed webhook
    low = await wallet_events(api, key, ws)
    assert [e["type"] for e in low] == ["wallet.balance_low"]
    data = low[0]["data"]
    assert (data["balance"], data["threshold"]["amount"]) == ("conversation", 14_950)
    assert data["available"] == {"amount": 14_880, "currency": "IDR", "formatted": "Rp14.880"}
    assert low[0]["reseller_id"] is None and low[0]["workspace_id"] == ws


async def test_a_credit_rearms_the_alert_and_zero_is_depleted_then_arrears(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    await set_alerts(api, ws, key, conversation=14_950)
    tick = lambda: clock.advance(timedelta(seconds=1))  # noqa: E731
    assert (await api.webhook(replies(0, 3))).status == 200         # 14.910: low #1
    tick()
    paid = await topup(api, ws, key, "conversation", 50_000)
    assert (await press_pay(api, paid["payment"]["id"])).status == 200   # 64.910: re-armed
    tick()
    await set_alerts(api, ws, key, conversation=64_900)
    assert (await api.webhook(replies(3, 1))).status == 200         # 64.880: low #2
    tick()
    svc = app_services(api)
    await svc.ledger.post(ws, [LedgerIntent("test:drain", "charge", "conversation",
                                            Money.idr(64_880), {})], clock.now())  # zero
    tick()
    await svc.ledger.post(ws, [LedgerIntent("test:over", "charge", "conversation",
                                            Money.idr(30), {})], clock.now())   # arrears
    tick()
    again = await topup(api, ws, key, "conversation", 10_000)
    assert (await press_pay(api, again["payment"]["id"])).status == 200      # settles them
    types = [(e["type"], e["data"]["available"]["amount"])
             for e in await wallet_events(api, key, ws)]
    assert types == [("wallet.balance_low", 14_910), ("wallet.balance_low", 64_880),
                     ("wallet.depleted", 0), ("wallet.arrears_started", -30),
                     ("wallet.arrears_settled", 9_970)]


async def test_the_broadcast_default_threshold_and_threshold_zero_turns_low_off(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    await set_alerts(api, ws, key, conversation=0)
    svc = app_services(api)
    for intent in (LedgerIntent("test:c", "charge", "conversation", Money.idr(15_000), {}),
                   LedgerIntent("test:b", "topup", "broadcast", Money.idr(7_000), {}),
                   LedgerIntent("test:b1", "charge", "broadcast", Money.idr(650), {})):
        clock.advance(timedelta(seconds=1))                             # 6.350 ≤ 6.500 last
        await svc.ledger.post(ws, [intent], clock.now())
    got = [(e["type"], e["data"]["balance"]) for e in await wallet_events(api, key, ws)]
    assert got == [("wallet.depleted", "conversation"), ("wallet.balance_low", "broadcast")]


async def test_two_processes_charging_one_wallet_alert_once(api, clock):
    """Two ledgers (two web processes) charge the same wallet concurrently, each with its own
    group commit; the crossing is decided by the one conditional write that makes it."""
    ws, key = await api.create_workspace([PHONE_A])
    await set_alerts(api, ws, key, conversation=9_000)
    svc, now = app_services(api), clock.now()
    first, second = MongoLedger(svc.db), MongoLedger(svc.db)

    async def charges(ledger, tag):
        for i in range(20):
            await ledger.post(ws, [LedgerIntent(f"test:{tag}{i}", "charge", "conversation",
                                                Money.idr(300), {})], now)

    await asyncio.gather(charges(first, "a"), charges(second, "b"),
                         charges(first, "c"), charges(second, "d"))      # 15.000 → −9.000
    await asyncio.gather(charges(first, "a"), charges(second, "a"))      # re-driven: nothing
    got = sorted(e["type"] for e in await wallet_events(api, key, ws))
    assert got == ["wallet.arrears_started", "wallet.balance_low", "wallet.depleted"]


async def test_an_alert_journaled_by_a_process_that_died_is_inserted_by_the_next(api, clock,
                                                                                 monkeypatch):
    ws, key = await api.create_workspace([PHONE_A])
    svc, now = app_services(api), clock.now()
    dying = MongoLedger(svc.db)
    real = alerts.finalize

    async def killed(db, workspace_id, events):
        if events != alerts.NO_EVENTS:
            raise ConnectionError("process killed")
        await real(db, workspace_id, events)

    monkeypatch.setattr(alerts, "finalize", killed)
    try:
        await dying.post(ws, [LedgerIntent("test:big", "charge", "conversation",
                                           Money.idr(12_500), {})], now)     # 2.500: low
    except ConnectionError:
        pass
    monkeypatch.setattr(alerts, "finalize", real)
    assert await wallet_events(api, key, ws) == []
    await MongoLedger(svc.db).post(ws, [LedgerIntent("test:next", "charge", "conversation",
                                                     Money.idr(30), {})], now)
    assert [e["type"] for e in await wallet_events(api, key, ws)] == ["wallet.balance_low"]
    body = await api.reconcile()          # the ledger half (the charges here are synthetic)
    assert all(b["ok"] for w in body["workspaces"] for b in w["balances"].values())
