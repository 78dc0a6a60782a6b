"""Hostile values in a webhook never stop the billing of the other statuses (issue 9 item 5).

Every case is one signed 100-status batch worth Rp65.000 of broadcasts (100 × Rp650) with one
hostile status among them: the other 99 are charged at once, the payload counts as processed,
and the balances reconcile."""
import asyncio
import json
from datetime import timedelta

import pytest

from service.whatsapp import webhooks
from service.whatsapp.payloads import MAX_ATTEMPTS
from tests.helpers import (ADMIN_TOKEN, PHONE_A, app_services, assert_reconciled, charge_entries,
                           status, status_payload, unprocessed_payloads)

HOSTILE_AT = 37


def batch(prefix: str, count: int = 100) -> list[dict]:
    return [status(f"wamid.{prefix}{i:03d}", "delivered", "marketing") for i in range(count)]


def _with(field: str, value):
    def change(s: dict) -> None:
        s[field] = value
    return change


def _in_pricing(field: str, value):
    def change(s: dict) -> None:
        s["pricing"][field] = value
    return change


def _raw_replace(s: dict) -> None:
    s["pricing"]["category"] = "<<RAW>>"


# (hostile change, is the hostile status itself charged inline?)
CASES = {
    "int_over_8_bytes_in_pricing": (_in_pricing("billable", 2**70), True),
    "int_over_8_bytes_as_a_new_pricing_key": (_in_pricing("volume", -(2**80)), True),
    "nul_in_a_pricing_key": (_in_pricing("cate\x00gory", "marketing"), True),
    "nul_in_a_status_key": (_with("x\x00y", 1), True),
    "nul_in_the_category": (_in_pricing("category", "market\x00ing"), False),
    "infinity_in_pricing": (_in_pricing("billable", float("inf")), True),
    "nan_in_pricing": (_in_pricing("type", float("nan")), True),
    "infinity_as_timestamp": (_with("timestamp", float("-inf")), True),
    "dict_as_category": (_in_pricing("category", {"$gt": ""}), False),
    "list_as_pricing": (_with("pricing", [{"category": "marketing"}]), False),
    "dict_as_recipient": (_with("recipient_id", {"a": [1, {"b": 2**70}]}), True),
    "list_as_status": (_with("status", ["delivered"]), False),
    "bool_as_wamid": (_with("id", True), False),
    "dict_as_wamid": (_with("id", {"$oid": "x"}), False),
    "deeply_nested_errors": (_with("errors", [[[[[[[[[[{"code": 2**70}]]]]]]]]]]), True),
    "errors_with_nul_keys": (_with("errors", [{"co\x00de": 1, "title": float("nan")}]), True),
    "huge_recipient": (_with("recipient_id", "6" * 1_000_000), True),
    "huge_category": (_in_pricing("category", "m" * 1_000_000), False),
    "huge_wamid": (_with("id", "w" * 1_000_000), False),
}


def _body(statuses: list[dict]) -> bytes:
    return json.dumps(status_payload(PHONE_A, statuses)).encode()


@pytest.mark.parametrize("case", list(CASES))
async def test_one_hostile_status_leaves_the_other_99_charged(api, case):
    ws, key = await api.create_workspace([PHONE_A])
    change, hostile_charged = CASES[case]
    statuses = batch("h")
    change(statuses[HOSTILE_AT])
    resp = await api.webhook(_body(statuses))
    assert resp.status == 200, await resp.text()

    charged = 100 if hostile_charged else 99
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0),
                                          "broadcast": (0, 0, 650 * charged)}
    assert len(await charge_entries(api, ws, key)) == charged
    svc = app_services(api)
    assert await unprocessed_payloads(svc.whatsapp.db) == 0
    await assert_reconciled(api)


async def test_a_status_whose_category_is_garbage_is_charged_by_the_24_hour_rule(api):
    ws, key = await api.create_workspace([PHONE_A])
    statuses = batch("g")
    _in_pricing("category", {"$ne": None})(statuses[HOSTILE_AT])
    assert (await api.webhook(_body(statuses))).status == 200
    assert (await api.amounts(ws, key))["broadcast"] == (0, 0, 99 * 650)
    api.clock.advance(timedelta(minutes=11))
    summary = await webhooks.sweep(app_services(api))
    assert summary["fallback_charged"] == 1
    assert (await api.amounts(ws, key))["broadcast"] == (0, 0, 100 * 650)
    await assert_reconciled(api)


async def test_hostile_batches_sent_concurrently_do_not_stop_clean_ones(api):
    """Concurrent requests share the status writes (group commit): a value the store would
    refuse in one request must not fail the others' writes."""
    ws, key = await api.create_workspace([PHONE_A])
    bodies = []
    for n, (change, _) in enumerate(CASES.values()):
        statuses = batch(f"c{n:02d}x", 10)
        change(statuses[3])
        bodies.append(_body(statuses))
    clean = [_body(batch(f"clean{n}x", 10)) for n in range(5)]
    responses = await asyncio.gather(*[api.webhook(b) for b in bodies + clean])
    assert [r.status for r in responses] == [200] * len(responses)
    hostile_uncharged = sum(1 for _, charged in CASES.values() if not charged)
    expected = 10 * (len(bodies) + len(clean)) - hostile_uncharged
    assert (await api.amounts(ws, key))["broadcast"] == (0, 0, 650 * expected)
    assert len(await charge_entries(api, ws, key)) == expected
    assert await unprocessed_payloads(app_services(api).whatsapp.db) == 0
    await assert_reconciled(api)


async def test_the_raw_body_is_stored_byte_for_byte(api):
    await api.create_workspace([PHONE_A])
    statuses = batch("r", 3)
    statuses[1]["pricing"]["billable"] = 2**70
    raw = _body(statuses).replace(b'"category": "marketing"', b'"category":\t"marketing"', 1)
    assert (await api.webhook(raw)).status == 200
    [doc] = [d async for d in app_services(api).whatsapp.db.wa_payloads.find({})]
    assert bytes(doc["body"]) == raw


# --- a payload that keeps failing is parked, not retried forever --------------------------------

async def _parked(api) -> list[dict]:
    resp = await api.client.get("/v1/admin/webhooks/parked", headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200, await resp.text()
    return (await resp.json())["payloads"]


async def test_a_payload_that_keeps_failing_is_parked_listed_and_can_be_retried(
        api, monkeypatch, caplog):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    real_post, calls = svc.ledger.post, []

    async def broken_post(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("ledger unavailable")
    monkeypatch.setattr(svc.ledger, "post", broken_post)
    assert (await api.webhook(_body(batch("p", 100)))).status == 200
    for _ in range(8):                               # the sweep runs every 30 s
        api.clock.advance(timedelta(minutes=2))
        await webhooks.sweep(svc)
    assert len(calls) == MAX_ATTEMPTS                # then the sweep leaves it alone
    [parked] = await _parked(api)
    assert parked["attempts"] == MAX_ATTEMPTS and "ledger unavailable" in parked["last_error"]
    traces = [r for r in caplog.records if r.name == "saldo.webhooks" and r.exc_info]
    assert len(traces) == 1                          # one stack trace, not one per sweep
    assert (await api.amounts(ws, key))["broadcast"] == (0, 0, 0)

    retry = f"/v1/admin/webhooks/parked/{parked['id']}/retry"
    resp = await api.client.post(retry, headers=api.auth(ADMIN_TOKEN))    # too early
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["processed"] is False
    assert await _parked(api) == []                  # back with the sweep, MAX_ATTEMPTS more
    monkeypatch.setattr(svc.ledger, "post", real_post)   # the cause is fixed
    api.clock.advance(timedelta(minutes=2))
    assert (await webhooks.sweep(svc))["reprocessed"] == 1
    assert (await api.amounts(ws, key))["broadcast"] == (0, 0, 65000)
    assert (await api.client.post(retry, headers=api.auth(ADMIN_TOKEN))).status == 404
    assert await _parked(api) == []
    assert await unprocessed_payloads(svc.whatsapp.db) == 0
    await assert_reconciled(api)


async def test_parked_payloads_are_for_the_admin_only(api):
    ws, key = await api.create_workspace([PHONE_A])
    assert (await api.client.get("/v1/admin/webhooks/parked",
                                 headers=api.auth(key))).status == 404
    resp = await api.client.post("/v1/admin/webhooks/parked/nope/retry",
                                 headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"
