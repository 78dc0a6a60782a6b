"""A status whose payload decides its charge alone (delivered, with its category) is charged
concurrently with its message-record write (service/whatsapp/charge.py, issue 16): the charge
does not wait for the record. A crash between the two, in either order, still charges once."""
import asyncio
import json
from datetime import timedelta

from pymongo.errors import AutoReconnect

from service.whatsapp import webhooks
from tests.helpers import (FRESH, PHONE_A, assert_reconciled, charge_entries, status,
                           status_payload)
from tests.whatsapp.test_whatsapp_ordering import REPLY_CHARGED

TS = 1795144627
GATE = 10        # seconds: a gate never opened means the charge waited for the record


def hold_records_until_charged(monkeypatch, svc, *, then_fail: bool = False) -> asyncio.Event:
    """The record write waits until a ledger post completed (then fails, if asked)."""
    charged = asyncio.Event()
    post, record = svc.ledger.post, svc.whatsapp.record_statuses

    async def posted(*args, **kwargs):
        answer = await post(*args, **kwargs)
        charged.set()
        return answer

    async def gated(*args, **kwargs):
        await asyncio.wait_for(charged.wait(), GATE)
        if then_fail:
            raise AutoReconnect("the process died here")
        return await record(*args, **kwargs)

    monkeypatch.setattr(svc.ledger, "post", posted)
    monkeypatch.setattr(svc.whatsapp, "record_statuses", gated)
    return charged


async def _message(api, wamid: str) -> dict | None:
    return await api.svc.whatsapp.db.wa_messages.find_one({"_id": wamid})


async def test_the_charge_completes_while_the_record_write_is_held(app_api, monkeypatch):
    ws, key = await app_api.create_workspace([PHONE_A])
    with monkeypatch.context() as patched:
        hold_records_until_charged(patched, app_api.svc)
        resp = await app_api.webhook(status_payload(PHONE_A, [status("wamid.g1", "delivered")]))
        assert resp.status == 200, await resp.text()
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    record = await _message(app_api, "wamid.g1")
    assert record["category"] == "service" and "awaiting_ms" not in record
    await assert_reconciled(app_api)


async def test_a_crash_after_the_charge_before_the_record_charges_once_on_every_path(
        app_api, monkeypatch, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    delivered = json.dumps(status_payload(
        PHONE_A, [status("wamid.g2", "delivered", "service", ts=TS + 5)])).encode()
    svc = app_api.svc

    async def store_down(*args, **kwargs):
        raise AutoReconnect("the process died here")

    with monkeypatch.context() as patched:
        hold_records_until_charged(patched, svc, then_fail=True)
        patched.setattr(svc.whatsapp, "store_payload", store_down)
        patched.setattr(svc.whatsapp, "store_processed", store_down)
        assert (await app_api.webhook(delivered)).status == 503   # no 200: Meta sends it again
    assert await app_api.amounts(ws, key) == REPLY_CHARGED       # charged, no record, no body
    assert await _message(app_api, "wamid.g2") is None

    # a `read` without pricing comes first: its record has no category and waits for one
    resp = await app_api.webhook(status_payload(
        PHONE_A, [status("wamid.g2", "read", None, ts=TS + 60)]))
    assert resp.status == 200
    assert "awaiting_ms" in await _message(app_api, "wamid.g2")
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(svc)                   # the overdue path finds the charge made
    assert await app_api.amounts(ws, key) == REPLY_CHARGED

    for _ in range(2):                          # Meta's retries of the delivered status
        assert (await app_api.webhook(delivered)).status == 200
    await webhooks.sweep(svc, everything=True)
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    assert [(e["wamid"], e["category"]) for e in await charge_entries(app_api, ws, key)] == [
        ("wamid.g2", "service")]
    assert (await _message(app_api, "wamid.g2"))["category"] == "service"
    await assert_reconciled(app_api)


async def test_a_failed_record_write_leaves_the_body_to_the_sweep_which_charges_nothing_more(
        app_api, monkeypatch, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    with monkeypatch.context() as patched:
        hold_records_until_charged(patched, app_api.svc, then_fail=True)
        resp = await app_api.webhook(status_payload(PHONE_A, [status("wamid.g3", "delivered")]))
        assert resp.status == 200                  # stored unprocessed: the sweep's work
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    clock.advance(timedelta(minutes=2))
    summary = await webhooks.sweep(app_api.svc)
    assert summary["reprocessed"] == 1
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    assert len(await charge_entries(app_api, ws, key)) == 1
    assert (await _message(app_api, "wamid.g3"))["category"] == "service"
    await assert_reconciled(app_api)


async def test_a_status_that_needs_its_record_still_waits_for_it(app_api):
    """`sent` with pricing, then `delivered` without: the second needs the stored category."""
    ws, key = await app_api.create_workspace([PHONE_A])
    await app_api.webhook(status_payload(PHONE_A, [status("wamid.g4", "sent", "service", ts=TS)]))
    assert await app_api.amounts(ws, key) == FRESH
    await app_api.webhook(status_payload(
        PHONE_A, [status("wamid.g4", "delivered", None, ts=TS + 5)]))
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(app_api)
