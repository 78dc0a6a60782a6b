"""The raw payload is stored after processing, carrying its summary (issue 16): still durable
before the 200; a crash (or an outage) before it is stored answers no 200, and Meta's retry is
processed by the same idempotent path, exactly once per wamid."""
import hashlib
import json

from pymongo.errors import AutoReconnect

from tests.helpers import (FRESH, PHONE_A, app_services, assert_reconciled, charge_entries,
                           status, status_payload, unprocessed_payloads)

REPLY_CHARGED = {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}


async def _stored(api, raw: bytes) -> list[dict]:
    db = app_services(api).whatsapp.db
    return [d async for d in db.wa_payloads.find({"_id": hashlib.sha256(raw).hexdigest()})]


async def test_processed_but_not_stored_gets_no_200_and_meta_s_retry_charges_once(
        api, monkeypatch):
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(status_payload(PHONE_A, [status("wamid.late", "delivered")])).encode()
    svc = app_services(api)

    async def store_down(*args, **kwargs):
        raise AutoReconnect("connection refused")      # ... the process could die here too

    with monkeypatch.context() as patched:
        patched.setattr(svc.whatsapp, "store_processed", store_down)
        patched.setattr(svc.whatsapp, "store_payload", store_down)
        resp = await api.webhook(raw)
        assert resp.status == 503, await resp.text()       # not a 200: Meta sends it again
    assert await api.amounts(ws, key) == REPLY_CHARGED     # charged before the store failed
    assert await _stored(api, raw) == []

    for _ in range(2):                                     # Meta's retries
        assert (await api.webhook(raw)).status == 200
    assert await api.amounts(ws, key) == REPLY_CHARGED
    assert len(await charge_entries(api, ws, key)) == 1
    [doc] = await _stored(api, raw)
    assert doc["processed_ms"] and doc["summary"]["statuses"] == 1
    assert bytes(doc["body"]) == raw
    await assert_reconciled(api)


async def test_a_body_whose_processing_failed_is_stored_unmarked_then_marked_by_its_retry(
        api, monkeypatch):
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(status_payload(PHONE_A, [status("wamid.again", "delivered")])).encode()
    svc = app_services(api)

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug in processing")

    with monkeypatch.context() as patched:
        patched.setattr(svc.ledger, "post", broken)
        assert (await api.webhook(raw)).status == 200          # durable, left to the sweep
    [doc] = await _stored(api, raw)
    assert doc["processed_ms"] is None and doc["attempts"] == 1
    assert await api.amounts(ws, key) == FRESH

    assert (await api.webhook(raw)).status == 200              # Meta sends it again
    [doc] = await _stored(api, raw)
    assert doc["processed_ms"] and doc["summary"]["charged"] == 1
    assert await unprocessed_payloads(svc.whatsapp.db) == 0
    assert await api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(api)
