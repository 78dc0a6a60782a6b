"""Idempotency-Key on money POSTs (contract §5): replay, reuse, in-flight, crash, expiry."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from billing.money import Money
from service.runtime import idempotency
from service.topups.topups import order_topup as place_topup
from service.workspaces.lookup import workspace_by_id
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, app_services, order_topup, press_pay

KEY = {"Idempotency-Key": "order-7f3a"}


async def topup_count(api, ws: str) -> int:
    return len([d async for d in app_services(api).db.topups.find({"workspace_id": ws})])


async def test_a_replay_returns_the_first_response(api):
    ws, key = await api.create_workspace([PHONE_A])
    first = await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)
    assert first.status == 201
    again = await order_topup(api, ws, key, "conversation", 50_000,
                              headers={**KEY, "Accept-Language": "en"})
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.read() == await first.read()
    assert (await again.json())["topup"]["id"] == (await first.json())["topup"]["id"]
    assert await topup_count(api, ws) == 1


async def test_the_same_key_with_another_body_is_refused(api):
    ws, key = await api.create_workspace([PHONE_A])
    assert (await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)).status == 201
    resp = await order_topup(api, ws, key, "conversation", 60_000, headers=KEY)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "idempotency_key_reused"
    assert await topup_count(api, ws) == 1


async def test_key_order_and_spacing_of_the_body_do_not_matter(api):
    ws, key = await api.create_workspace([PHONE_A])
    url = f"/v1/workspaces/{ws}/topups"
    headers = {**api.auth(key), **KEY, "Content-Type": "application/json"}
    first = await api.client.post(url, data=b'{"balance":"broadcast","amount":50000}',
                                  headers=headers)
    second = await api.client.post(url, data=b'{ "amount": 50000, "balance": "broadcast" }',
                                   headers=headers)
    assert (first.status, second.status) == (201, 201)
    assert await first.read() == await second.read()


async def test_two_concurrent_identical_requests_make_one_topup(api):
    ws, key = await api.create_workspace([PHONE_A])
    responses = await asyncio.gather(*[order_topup(api, ws, key, "broadcast", 70_000,
                                                   headers=KEY) for _ in range(2)])
    statuses = sorted(r.status for r in responses)
    assert statuses in ([201, 201], [201, 409])
    for resp in responses:
        if resp.status == 409:
            assert (await resp.json())["error"]["code"] == "idempotency_in_progress"
    assert await topup_count(api, ws) == 1
    assert len({(await r.json())["topup"]["id"] for r in responses if r.status == 201}) == 1


async def test_ten_concurrent_identical_requests_make_one_topup(api):
    ws, key = await api.create_workspace([PHONE_A])
    responses = await asyncio.gather(*[order_topup(api, ws, key, "broadcast", 70_000,
                                                   headers=KEY) for _ in range(10)])
    assert {r.status for r in responses} <= {201, 409} and 201 in {r.status for r in responses}
    assert await topup_count(api, ws) == 1


async def test_a_request_in_flight_makes_a_retry_wait_with_409(api):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    body = b'{"balance": "conversation", "amount": 50000}'
    rid = idempotency.record_id(f"workspace:{ws}", "POST", f"/v1/workspaces/{ws}/topups",
                                KEY["Idempotency-Key"])
    await idempotency.begin(svc, rid, idempotency.request_hash(body), api.clock.now())
    resp = await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "idempotency_in_progress"
    assert await topup_count(api, ws) == 0


async def test_a_retry_after_a_crash_resumes_the_same_order(api):
    """The first request died half-way (invoice and top-up made, response never stored): once
    its lease is over, the retry finishes the same order instead of making a second one."""
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    body = b'{"balance": "conversation", "amount": 50000}'
    rid = idempotency.record_id(f"workspace:{ws}", "POST", f"/v1/workspaces/{ws}/topups",
                                KEY["Idempotency-Key"])
    claim = await idempotency.begin(svc, rid, idempotency.request_hash(body), api.clock.now())
    workspace = await workspace_by_id(svc, ws)
    placed = await place_topup(svc, workspace, "conversation", Money.idr(50_000), claim.seed,
                               api.clock.now())
    api.clock.advance(idempotency.LEASE + timedelta(seconds=1))
    resp = await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)
    assert resp.status == 201, await resp.text()
    out = await resp.json()
    assert out["topup"]["id"] == placed.topup.id
    assert out["invoice"]["code"] == placed.invoice.code == "INV/2026/000001"
    assert await topup_count(api, ws) == 1


async def test_a_key_is_forgotten_after_24_hours(api):
    ws, key = await api.create_workspace([PHONE_A])
    first = await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)
    api.clock.advance(timedelta(hours=23, minutes=59))
    assert (await order_topup(api, ws, key, "conversation", 60_000, headers=KEY)).status == 422
    api.clock.advance(timedelta(minutes=2))
    later = await order_topup(api, ws, key, "conversation", 60_000, headers=KEY)
    assert later.status == 201
    assert (await later.json())["topup"]["id"] != (await first.json())["topup"]["id"]
    assert await topup_count(api, ws) == 2


async def test_expired_keys_are_purged_by_the_sweep_on_the_service_clock(api):
    """Expiry follows the injected clock, whatever the machine's date (issue 9 item 1): a key
    is kept until a day after it expired on the service's clock, then the sweep deletes it."""
    from service.payments import settlement
    ws, key = await api.create_workspace([PHONE_A])
    await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)
    svc = app_services(api)
    stored = lambda: svc.db.idempotency.count_documents({})  # noqa: E731
    api.clock.advance(timedelta(hours=47))
    await settlement.sweep(svc)
    assert await stored() == 1
    api.clock.advance(timedelta(hours=2))
    assert (await settlement.sweep(svc))["idempotency_keys_purged"] == 1
    assert await stored() == 0


async def test_a_refused_request_does_not_hold_the_key(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, "conversation", 5, headers=KEY)
    assert (await resp.json())["error"]["code"] == "topup_below_minimum"
    assert (await order_topup(api, ws, key, "conversation", 50_000, headers=KEY)).status == 201


async def test_keys_are_scoped_to_the_caller_and_the_path(api):
    ws, key = await api.create_workspace([PHONE_A])
    other_ws, other_key = await api.create_workspace([PHONE_B])
    a = await order_topup(api, ws, key, headers=KEY)
    b = await order_topup(api, other_ws, other_key, headers=KEY)
    c = await order_topup(api, ws, ADMIN_TOKEN, headers=KEY)
    assert (a.status, b.status, c.status) == (201, 201, 201)
    ids = {(await r.json())["topup"]["id"] for r in (a, b, c)}
    assert len(ids) == 3


async def test_without_a_key_every_request_is_a_new_order(api):
    ws, key = await api.create_workspace([PHONE_A])
    for _ in range(2):
        assert (await order_topup(api, ws, key)).status == 201
    assert await topup_count(api, ws) == 2


@pytest.mark.parametrize("value", ["", "x" * 256, "tab\there"])
async def test_a_malformed_key_is_422(api, value):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, headers={"Idempotency-Key": value})
    assert resp.status == 422
    assert (await resp.json())["error"]["field"] == "Idempotency-Key"
    assert await topup_count(api, ws) == 0


async def test_an_order_resumed_after_its_invoice_was_paid_answers_the_paid_topup(api):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    workspace = await workspace_by_id(svc, ws)
    first = await place_topup(svc, workspace, "conversation", Money.idr(50_000), "resumed01",
                              api.clock.now())
    assert (await press_pay(api, first.payment.id)).status == 200
    again = await place_topup(svc, workspace, "conversation", Money.idr(50_000), "resumed01",
                              api.clock.now())
    assert (again.topup.id, again.topup.status) == (first.topup.id, "paid")
    assert again.invoice.status == "paid" and again.invoice.code == first.invoice.code
    assert await topup_count(api, ws) == 1
