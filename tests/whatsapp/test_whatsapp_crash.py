"""A crash between "stored" and "charged" loses nothing and doubles nothing: the next start (or
sweep) finishes the work exactly once."""
import json
from datetime import timedelta

import pytest

from billing.money import Money
from billing.wallet import LedgerIntent
from service.runtime.context import SERVICES
from service.wallet.ledger import MongoLedger, unjournal
from service.whatsapp import webhooks
from tests.helpers import (FRESH, PHONE_A, PHONE_B, Api, assert_reconciled, charge_entries,
                           multi_status_payload, sample, status, status_payload,
                           unprocessed_payloads)

REPLY_CHARGED = {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
BROADCAST_IN_ARREARS = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 650)}


@pytest.fixture
def start(aiohttp_client, make_app, clock):
    """Start an app instance on the test's database; returns (api, services)."""
    async def starter() -> tuple[Api, object]:
        app = make_app()
        client = await aiohttp_client(app)
        return Api(client, clock), app[SERVICES]
    return starter


def _charge_intent(wamid: str, category: str, balance: str, amount: int) -> LedgerIntent:
    return LedgerIntent(f"charge:{wamid}", "charge", balance, Money.idr(amount),
                        {"wamid": wamid, "category": category, "inferred_category": False})


async def test_payload_stored_but_not_processed_is_charged_once_on_the_next_start(start, clock):
    first, svc = await start()
    ws, key = await first.create_workspace([PHONE_A])
    raw = json.dumps(sample("05_status_delivered_marketing.json")).encode()
    await svc.whatsapp.store_payload(raw, clock.now())          # ... and then the process died
    assert await unprocessed_payloads(svc.whatsapp.db) == 1
    assert await first.amounts(ws, key) == FRESH
    await first.client.close()

    second, svc2 = await start()                                 # start-up recovery
    assert await second.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert await unprocessed_payloads(svc2.whatsapp.db) == 0

    for _ in range(3):
        resp = await second.webhook(raw)                         # Meta retries the same body
        assert resp.status == 200
    await webhooks.sweep(svc2, everything=True)
    assert await second.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert len(await charge_entries(second, ws, key)) == 1
    await assert_reconciled(second)


async def test_several_unprocessed_payloads_are_all_recovered_with_their_charges(start, clock):
    first, svc = await start()
    ws_a, key_a = await first.create_workspace([PHONE_A])
    ws_b, key_b = await first.create_workspace([PHONE_B])
    bodies = [
        status_payload(PHONE_A, [status("wamid.k1", "sent", "service")]),
        status_payload(PHONE_A, [status("wamid.k1", "read", None)]),
        multi_status_payload([(PHONE_A, [status("wamid.k2", "delivered", "marketing")]),
                              (PHONE_B, [status("wamid.k3", "delivered", "service")])]),
    ]
    for body in bodies:
        await svc.whatsapp.store_payload(json.dumps(body).encode(), clock.now())
    await first.client.close()

    second, _ = await start()
    assert await second.amounts(ws_a, key_a) == {"conversation": (14970, 0, 0),
                                                 "broadcast": (0, 0, 650)}
    assert await second.amounts(ws_b, key_b) == REPLY_CHARGED
    await assert_reconciled(second)


async def test_unprocessed_payload_is_recovered_by_a_sweep_after_a_minute(start, clock):
    api, svc = await start()
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(status_payload(PHONE_A, [status("wamid.k4", "delivered", "service")]))
    await svc.whatsapp.store_payload(raw.encode(), clock.now())
    await webhooks.sweep(svc)            # may still be in flight on another instance: left alone
    assert await api.amounts(ws, key) == FRESH
    clock.advance(timedelta(minutes=2))
    summary = await webhooks.sweep(svc)
    assert summary["reprocessed"] == 1
    assert await api.amounts(ws, key) == REPLY_CHARGED
    await webhooks.sweep(svc)
    assert await api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(api)


async def test_ledger_post_repeated_with_the_same_key_applies_once(start, clock):
    api, svc = await start()
    ws, key = await api.create_workspace([PHONE_A])
    intent = _charge_intent("wamid.k12", "service", "conversation", 30)
    for _ in range(3):
        await svc.ledger.post(ws, [intent, intent], clock.now())
    assert await api.amounts(ws, key) == REPLY_CHARGED
    assert len(await charge_entries(api, ws, key)) == 1
    await assert_reconciled(api)


async def test_charge_posted_but_message_not_marked_charged_is_not_charged_again(start, clock):
    """Crash between the ledger post and mark_charged: the sweep's fallback path and a replayed
    payload both meet the existing ledger key."""
    api, svc = await start()
    ws, key = await api.create_workspace([PHONE_A])
    payload = status_payload(PHONE_A, [status("wamid.k8", "read", None)])
    assert (await api.webhook(payload)).status == 200
    await svc.ledger.post(ws, [_charge_intent("wamid.k8", "marketing", "broadcast", 650)],
                          clock.now())
    assert await api.amounts(ws, key) == BROADCAST_IN_ARREARS
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(svc)                        # would charge by the 24-hour rule
    resp = await api.webhook(status_payload(PHONE_A, [status("wamid.k8", "delivered",
                                                             "service")]))
    assert resp.status == 200
    assert await api.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert len(await charge_entries(api, ws, key)) == 1
    await assert_reconciled(api)


async def _lose_the_last_entries(api, svc, ws) -> list[str]:
    """Crash after the wallet's conditional update, before its entries reached the ledger
    collection: the entries then live only in the wallet's `last`. The next writer is another
    process, which knows nothing of that journal (a fresh ledger object, without the start-up
    recovery of a whole new app)."""
    wallet = await svc.db.wallets.find_one({"_id": ws})
    ids = [d["_id"] for d in unjournal(wallet)]
    assert ids
    await svc.db.ledger.delete_many({"_id": {"$in": ids}})
    svc.ledger = MongoLedger(svc.db)
    return ids


async def test_wallet_update_written_but_entries_not_finalized_still_reconciles(start, clock):
    api, svc = await start()
    ws, key = await api.create_workspace([PHONE_A])
    await api.webhook(status_payload(PHONE_A, [status("wamid.k9", "delivered", "service")]))
    await _lose_the_last_entries(api, svc, ws)
    await assert_reconciled(api)                     # the unfinalized `last` counts
    assert await api.amounts(ws, key) == REPLY_CHARGED
    await api.webhook(status_payload(PHONE_A, [status("wamid.k10", "delivered", "service")]))
    await api.webhook(status_payload(PHONE_A, [status("wamid.k9", "read", "service")]))
    assert await api.amounts(ws, key) == {"conversation": (14940, 0, 0), "broadcast": (0, 0, 0)}
    assert [e["wamid"] for e in await charge_entries(api, ws, key)] == ["wamid.k10", "wamid.k9"]
    await assert_reconciled(api)


async def test_unfinalized_entries_reach_the_usage_history_on_the_next_start(start, clock):
    first, svc = await start()
    ws, key = await first.create_workspace([PHONE_A])
    await first.webhook(status_payload(PHONE_A, [status("wamid.k13", "delivered", "service")]))
    await _lose_the_last_entries(first, svc, ws)
    await first.client.close()
    second, _ = await start()
    entries = await charge_entries(second, ws, key)
    assert [e["wamid"] for e in entries] == ["wamid.k13"]
    assert await second.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(second)
    assert entries[0]["time"].endswith(("Z", "+00:00")), entries[0]["time"]


async def test_app_starts_and_charges_an_overdue_message_left_without_pricing(start, clock):
    first, _ = await start()
    ws, key = await first.create_workspace([PHONE_A])
    await first.webhook(status_payload(PHONE_A, [status("wamid.k11", "sent", None)]))
    await first.webhook(status_payload(PHONE_A, [status("wamid.k11", "delivered", None,
                                                        ts=1795144700)]))
    await first.client.close()
    clock.advance(timedelta(minutes=11))
    second, _ = await start()
    assert await second.amounts(ws, key) == BROADCAST_IN_ARREARS
    await assert_reconciled(second)
