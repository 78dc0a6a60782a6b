"""Receiver down, failing or too slow: retried with growing delays (the clock is moved, nothing
sleeps); a worker killed mid-attempt is replaced once its lease ends; two workers never send
the same attempt; an endpoint failing for 3 days is disabled and an event says so."""
from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

from service.outbound.repository import Deliveries
from service.outbound.worker import deliver_pass
from tests.helpers import ADMIN_TOKEN, PHONE_A, app_services, topup
from tests.outbound.receiver import deliver, register


def _free_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/hook"   # nobody listens there


async def _attempts(api, key: str, endpoint_id: str) -> list[dict]:
    resp = await api.client.get(f"/v1/webhook-endpoints/{endpoint_id}/attempts",
                                params={"limit": 200}, headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return (await resp.json())["attempts"]


async def _retry_until_delivered(api, receiver, key: str, endpoint_id: str) -> list[timedelta]:
    """Pass after pass, each at the next attempt's time; → the delays between attempts."""
    delays = []
    for _ in range(6):
        latest = (await _attempts(api, key, endpoint_id))[0]
        if latest["outcome"] == "delivered":
            return delays
        due = api.clock.now().fromisoformat(latest["next_attempt_at"])
        delays.append(due - api.clock.now())
        if due > api.clock.now():
            assert await deliver(api) == {}                    # not due yet: nothing sent
        api.clock.set(due)
        if len(delays) == 4:
            receiver.mode = "ok"
        await deliver(api)
    raise AssertionError("never delivered")


async def test_a_failing_receiver_is_retried_with_growing_delays(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    endpoint = (await register(hooks, key, receiver.url, event_types=["invoice.created"]))
    receiver.mode = "error"
    await topup(hooks, ws, key)
    assert await deliver(hooks) == {"queued": 1, "retry": 1}
    delays = await _retry_until_delivered(hooks, receiver, key, endpoint["endpoint"]["id"])
    assert len(delays) == 4 and all(a < b for a, b in zip(delays, delays[1:])), delays
    assert timedelta(seconds=20) < delays[0] < timedelta(seconds=40)
    assert len(receiver.received) == 5 and len(set(receiver.event_ids())) == 1
    attempts = await _attempts(hooks, key, endpoint["endpoint"]["id"])
    assert [a["status_code"] for a in attempts] == [200, 500, 500, 500, 500]
    assert [a["attempt"] for a in attempts] == [5, 4, 3, 2, 1]
    pages, cursor = [], None
    while True:                                                # two at a time, newest first
        resp = await hooks.client.get(
            f"/v1/webhook-endpoints/{endpoint['endpoint']['id']}/attempts",
            params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=hooks.auth(key))
        page = await resp.json()
        pages.append([a["attempt"] for a in page["attempts"]])
        if not (cursor := page["next_cursor"]):
            break
    assert pages == [[5, 4], [3, 2], [1]]


async def test_a_receiver_that_is_down_or_too_slow_is_retried(impatient_hooks, receiver):
    hooks = impatient_hooks
    ws, key = await hooks.create_workspace([PHONE_A])
    down = (await register(hooks, key, _free_url(), event_types=["invoice.created"]))["endpoint"]
    slow = (await register(hooks, key, receiver.url, event_types=["invoice.created"]))["endpoint"]
    receiver.mode = "hang"
    await topup(hooks, ws, key)
    assert await deliver(hooks) == {"queued": 2, "retry": 2}
    [refused] = await _attempts(hooks, key, down["id"])
    [timed_out] = await _attempts(hooks, key, slow["id"])
    assert refused["status_code"] is None and "Connect" in refused["error"]
    assert timed_out["status_code"] is None and "Timeout" in timed_out["error"]
    receiver.mode = "ok"
    receiver.release.set()
    hooks.clock.advance(timedelta(minutes=1))
    assert (await deliver(hooks))["delivered"] == 1
    assert [a["outcome"] for a in await _attempts(hooks, key, slow["id"])] == [
        "delivered", "failed"]


async def test_a_worker_killed_mid_attempt_is_replaced_when_its_lease_ends(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    await register(hooks, key, receiver.url, event_types=["invoice.created"])
    await topup(hooks, ws, key)
    svc = app_services(hooks)
    await deliver(hooks, limit=0)                              # fan-out only
    now = hooks.clock.now()
    killed = await Deliveries(svc.db).claim(now, 60_000, "killed-worker")   # then it died
    assert killed is not None and receiver.received == []
    assert await deliver(hooks) == {}                          # its lease still holds
    hooks.clock.advance(timedelta(seconds=61))
    assert await deliver(hooks) == {"delivered": 1}
    assert len(receiver.received) == 1
    assert not await Deliveries(svc.db).finish(killed, {"status": "failed"}, None)  # too late
    assert (await Deliveries(svc.db).get(killed.id)).status == "delivered"


async def test_two_workers_never_send_the_same_attempt(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    await register(hooks, key, receiver.url)
    for amount in (10_000, 20_000, 30_000, 40_000, 50_000, 60_000):
        await topup(hooks, ws, key, amount=amount)
    svc, now = app_services(hooks), hooks.clock.now()
    first, second = await asyncio.gather(deliver_pass(svc, now), deliver_pass(svc, now))
    sent = first.get("delivered", 0) + second.get("delivered", 0)
    assert sent == len(receiver.received) == len(set(receiver.event_ids())) >= 6


async def test_an_endpoint_failing_for_three_days_is_disabled_and_an_event_says_so(
        hooks, receiver, aiohttp_server):
    ws, key = await hooks.create_workspace([PHONE_A])
    failing = (await register(hooks, key, _free_url()))["endpoint"]
    watcher = await register(hooks, ADMIN_TOKEN, receiver.url,
                             event_types=["webhook_endpoint.*"])
    await topup(hooks, ws, key)
    start = hooks.clock.now()
    while hooks.clock.now() - start < timedelta(days=3, hours=12):
        await deliver(hooks)
        hooks.clock.advance(timedelta(hours=1))
    resp = await hooks.client.get(f"/v1/webhook-endpoints/{failing['id']}",
                                  headers=hooks.auth(key))
    body = await resp.json()
    assert body["status"] == "disabled" and body["disabled_at"]
    assert receiver.types() == ["webhook_endpoint.disabled"]
    assert receiver.received[0].body["data"]["data"]["id"] == failing["id"]
    assert watcher["endpoint"]["owner"]["role"] == "admin"
    attempts = await _attempts(hooks, key, failing["id"])
    assert attempts and attempts[0]["next_attempt_at"] is None      # given up
