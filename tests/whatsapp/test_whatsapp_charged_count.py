"""What a processing reports as charged is what it charged: a replay of a charge made earlier
(by another payload, a concurrent request or the sweep) is not counted again (issue 9 item 21).
The count is what `wa_payloads.summary.charged` and the sweep's `fallback_charged` report."""
import asyncio
import hashlib
import json
from datetime import timedelta

from billing.money import Money
from billing.wallet import LedgerIntent
from service.whatsapp import webhooks
from tests.helpers import (PHONE_A, app_services, assert_reconciled, charge_entries, status,
                           status_payload)


async def _summary(api, body: dict) -> dict:
    raw = json.dumps(body).encode()
    assert (await api.webhook(raw)).status == 200
    db = app_services(api).whatsapp.db
    await app_services(api).whatsapp.marks.close()          # flush the deferred summaries
    doc = await db.wa_payloads.find_one({"_id": hashlib.sha256(raw).hexdigest()})
    return doc["summary"]


async def test_a_later_status_of_a_charged_message_reports_nothing_charged(api):
    ws, key = await api.create_workspace([PHONE_A])
    first = await _summary(api, status_payload(PHONE_A, [status("wamid.n1", "delivered")]))
    again = await _summary(api, status_payload(PHONE_A, [status("wamid.n1", "read")]))
    assert (first["charged"], again["charged"]) == (1, 0)
    assert len(await charge_entries(api, ws, key)) == 1
    await assert_reconciled(api)


async def test_concurrent_payloads_of_one_message_report_one_charge_in_all(api):
    ws, key = await api.create_workspace([PHONE_A])
    bodies = [status_payload(PHONE_A, [status("wamid.n2", state, ts=1795144627 + i)])
              for i, state in enumerate(["delivered", "read", "delivered", "read", "played"])]
    summaries = await asyncio.gather(*[_summary(api, b) for b in bodies])
    assert sum(s["charged"] for s in summaries) == 1
    assert len(await charge_entries(api, ws, key)) == 1
    await assert_reconciled(api)


async def test_the_sweep_does_not_report_a_charge_it_found_already_made(api):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    assert (await api.webhook(status_payload(PHONE_A, [status("wamid.n3", "read", None)]))
            ).status == 200
    await svc.ledger.post(ws, [LedgerIntent("charge:wamid.n3", "charge", "broadcast",
                                            Money.idr(650), {"wamid": "wamid.n3", "category": "unknown",
                                                             "inferred_category": True})],
                          api.clock.now())          # charged, then the process died
    api.clock.advance(timedelta(minutes=11))
    assert (await webhooks.sweep(svc))["fallback_charged"] == 0
    assert (await api.webhook(status_payload(PHONE_A, [status("wamid.n4", "read", None)]))
            ).status == 200
    api.clock.advance(timedelta(minutes=11))
    assert (await webhooks.sweep(svc))["fallback_charged"] == 1
    assert len(await charge_entries(api, ws, key)) == 2
    await assert_reconciled(api)
