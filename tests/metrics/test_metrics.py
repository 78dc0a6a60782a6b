"""GET /metrics: Prometheus text that prometheus-client's parser reads, moved by what the
service does: a charged webhook (webhook, charge and ledger counters, by the right amounts),
payments, queue depths and the billing passes of `python -m jobs`."""
from __future__ import annotations

from datetime import timedelta

from jobs.run import run_due
from tests.conftest import START
from service.whatsapp import webhooks
from tests.helpers import (PHONE_A, app_services, press_pay, sign, status, status_payload,
                           topup)
from tests.metrics.helpers import scrape, value

WEBHOOK = "saldo_whatsapp_webhook_seconds_count"


def moved(before: dict, after: dict) -> dict:
    """The samples whose value changed, by how much (histogram buckets and process figures
    left out)."""
    return {key: after[key] - before.get(key, 0) for key in after
            if after[key] != before.get(key, 0) and key[0].startswith("saldo_")
            and not key[0].endswith(("_bucket", "_sum", "_created"))}


async def test_a_charged_webhook_moves_the_webhook_and_charge_counters_by_its_charges(api):
    ws, key = await api.create_workspace([PHONE_A])
    before = await scrape(api.client)
    payload = status_payload(PHONE_A, [status("wamid.m1", "delivered", "service"),
                                       status("wamid.m2", "delivered", "marketing")])
    assert (await api.webhook(payload)).status == 200
    after = await scrape(api.client)
    assert moved(before, after) == {
        (WEBHOOK, (("outcome", "processed"),)): 1,
        ("saldo_charges_total", (("balance", "conversation"),)): 1,
        ("saldo_charged_rupiah_total", (("balance", "conversation"),)): 30,
        ("saldo_charges_total", (("balance", "broadcast"),)): 1,
        ("saldo_charged_rupiah_total", (("balance", "broadcast"),)): 650,
        ("saldo_ledger_posts_total", (("balance", "conversation"),)): 1,
        ("saldo_ledger_posts_total", (("balance", "broadcast"),)): 1}
    assert (await api.webhook(payload)).status == 200        # Meta sends it again
    assert (await api.webhook(status_payload(PHONE_A, [status("wamid.m1", "read")]))).status == 200
    again = await scrape(api.client)
    assert moved(after, again) == {(WEBHOOK, (("outcome", "duplicate"),)): 1,
                                   (WEBHOOK, (("outcome", "processed"),)): 1}   # nothing charged


async def test_refused_webhooks_are_counted_by_outcome(api):
    before = await scrape(api.client)
    raw = b'{"object": "whatsapp_business_account"}'
    bad = await api.client.post("/webhooks/whatsapp", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, "wrong")})
    assert bad.status == 401
    broken = b"{not json"
    invalid = await api.client.post("/webhooks/whatsapp", data=broken, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(broken)})
    assert invalid.status == 400
    after = await scrape(api.client)
    assert moved(before, after) == {(WEBHOOK, (("outcome", "rejected"),)): 1,
                                    (WEBHOOK, (("outcome", "invalid"),)): 1}
    assert value(after, "saldo_whatsapp_webhook_seconds_bucket", outcome="rejected",
                 le="10.0") == 1


async def test_a_paid_topup_moves_payments_and_the_pending_gauge(api):
    ws, key = await api.create_workspace([PHONE_A])
    ordered = await topup(api, ws, key, amount=50_000)
    before = await scrape(api.client)
    assert value(before, "saldo_payments", state="pending") == 1
    assert (await press_pay(api, ordered["payment"]["id"])).status == 200
    after = await scrape(api.client)
    assert value(after, "saldo_payments", state="pending") == 0
    assert moved(before, after) == {
        ("saldo_payment_transitions_total", (("state", "succeeded"),)): 1,
        ("saldo_payments", (("state", "pending"),)): -1,
        ("saldo_ledger_posts_total", (("balance", "conversation"),)): 1}     # the top-up


async def test_a_message_waiting_for_its_category_is_a_queue_depth(api):
    await api.create_workspace([PHONE_A])
    before = await scrape(api.client)
    assert value(before, "saldo_whatsapp_messages_awaiting_category") == 0
    payload = status_payload(PHONE_A, [status("wamid.nocat", "delivered", None)])
    assert (await api.webhook(payload)).status == 200
    after = await scrape(api.client)
    assert value(after, "saldo_whatsapp_messages_awaiting_category") == 1
    for state in ("unprocessed", "parked"):
        assert value(after, "saldo_whatsapp_payloads", state=state) == 0
    assert value(after, "saldo_invoices_unsettled") == value(after, "saldo_payments_unresolved") == 0
    assert value(after, "saldo_scrape_store_errors") == 0
    api.clock.advance(timedelta(minutes=11))   # past the category grace: the sweep charges it
    await webhooks.sweep(app_services(api))
    await app_services(api).whatsapp.marks.close()         # its deferred mark written
    assert value(await scrape(api.client), "saldo_whatsapp_messages_awaiting_category") == 0


async def test_a_message_the_sweep_has_not_charged_yet_stays_counted_however_old(api):
    """The gauge counts what the sweep re-drives (its `awaiting_ms` find), not only the last
    hour's: a message still uncharged two hours on (the sweep stopped) is the one to see."""
    await api.create_workspace([PHONE_A])
    payload = status_payload(PHONE_A, [status("wamid.old", "delivered", None)])
    assert (await api.webhook(payload)).status == 200
    api.clock.advance(timedelta(hours=2))
    assert value(await scrape(api.client), "saldo_whatsapp_messages_awaiting_category") == 1
    assert (await webhooks.sweep(app_services(api)))["fallback_charged"] == 1
    await app_services(api).whatsapp.marks.close()
    assert value(await scrape(api.client), "saldo_whatsapp_messages_awaiting_category") == 0


async def test_the_billing_passes_of_the_jobs_process_appear(api, settings):
    await api.create_workspace([PHONE_A])                       # Free, monthly
    before = await scrape(api.client)
    assert value(before, "saldo_billing_passes_total") == 0
    assert value(before, "saldo_billing_pass_results_total", outcome="renewed") == 0
    at = START + timedelta(days=31)
    report = await run_due(settings, at)        # what `python -m jobs run-due --now` runs
    assert report["rolled_renewed"] == 1
    await run_due(settings, at)                  # nothing due any more
    after = await scrape(api.client)
    assert value(after, "saldo_billing_passes_total") == 2
    results = {o: value(after, "saldo_billing_pass_results_total", outcome=o)
               for o in ("due", "claimed", "renewed", "moved_to_free", "failed")}
    assert results == {"due": 1, "claimed": 1, "renewed": 1, "moved_to_free": 0, "failed": 0}
    assert value(after, "saldo_billing_pass_last_run_timestamp_seconds") == at.timestamp()
    assert value(after, "saldo_billing_pass_not_reconciled") == 0
