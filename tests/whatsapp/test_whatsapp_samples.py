"""Every sample payload of Meta's documented shapes, signed like Meta signs it, gives the charge
the contract says; replaying it changes nothing more."""
from datetime import timedelta

import pytest

from service.runtime.context import SERVICES
from service.whatsapp import webhooks
from tests.helpers import (APP_SECRETS, FRESH, PHONE_A, PHONE_B, PHONE_C, Api, assert_reconciled,
                           charge_entries, failed_payloads, inbound_payload, sample)

WAMID_04_05_06 = "wamid.HBgNNjI4OTg3NjU0MzIxMBUCABEYEjA1QzFEMkUzRjRBNUI2QzdFQwA="
WAMID_08_SERVICE = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjA1QzFEMkUzRjRBNUI2QzdGNQA="
WAMID_08_MARKETING = "wamid.HBgNNjI4NTcxMjM0NTY3OBUCABEYEjA1QzFEMkUzRjRBNUI2QzdGNwA="
WAMID_10 = "wamid.HBgNNjI4NTcxMjM0NTY3OBUCABEYEjA1QzFEMkUzRjRBNUI2QzgwQQA="

REPLY_CHARGED = {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
BROADCAST_IN_ARREARS = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 650)}

# sample → expected wallet per phone number's owner, and the (wamid, category) charged per owner
EXPECTED = {
    "01_inbound_text.json": ({}, {}),
    "02_inbound_batch_multi_messages.json": ({}, {}),
    "03_status_sent_service_billable.json": ({}, {}),
    "04_status_sent_marketing.json": ({}, {}),
    "05_status_delivered_marketing.json": (
        {PHONE_A: BROADCAST_IN_ARREARS}, {PHONE_A: [(WAMID_04_05_06, "marketing")]}),
    "06_status_read_no_pricing.json": ({}, {}),  # category unknown: waits for the grace
    "07_status_failed_with_errors.json": ({}, {}),
    "08_batch_statuses_two_phone_numbers.json": (
        {PHONE_A: REPLY_CHARGED, PHONE_B: BROADCAST_IN_ARREARS},
        {PHONE_A: [(WAMID_08_SERVICE, "service")], PHONE_B: [(WAMID_08_MARKETING, "marketing")]}),
    "09_status_sent_cbp_legacy.json": ({}, {}),
    "10_status_delivered_free_entry_point_v23.json": (
        {PHONE_C: REPLY_CHARGED}, {PHONE_C: [(WAMID_10, "referral_conversion")]}),
    "11_account_update_pricing_tier.json": ({}, {}),
    "12_messages_value_errors_only.json": ({}, {}),
}


async def _owners(api) -> dict[str, tuple[str, str]]:
    return {phone: await api.create_workspace([phone]) for phone in (PHONE_A, PHONE_B, PHONE_C)}


async def _wallets(api, owners) -> dict[str, dict]:
    return {phone: await api.amounts(ws, key) for phone, (ws, key) in owners.items()}


async def _post_ok(api, payload, times: int = 1, secret: str = APP_SECRETS[0]) -> None:
    for _ in range(times):
        resp = await api.webhook(payload, secret=secret)
        assert resp.status == 200, await resp.text()
        assert await resp.json() == {"ok": True}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_sample_is_charged_as_the_contract_says_and_replays_change_nothing(api, name):
    owners = await _owners(api)
    wallets, charged = EXPECTED[name]
    expected = {phone: wallets.get(phone, FRESH) for phone in owners}

    await _post_ok(api, sample(name))
    assert await _wallets(api, owners) == expected
    await _post_ok(api, sample(name), times=5)
    assert await _wallets(api, owners) == expected

    for phone, (ws, key) in owners.items():
        entries = await charge_entries(api, ws, key)
        assert [(e["wamid"], e["category"]) for e in entries] == charged.get(phone, [])
    assert await failed_payloads(api.client.app[SERVICES].whatsapp.db) == []
    await assert_reconciled(api)


async def test_all_samples_in_order_charge_each_message_once(api):
    owners = await _owners(api)
    for _ in range(5):
        for name in sorted(EXPECTED):
            await _post_ok(api, sample(name))
    assert await _wallets(api, owners) == {
        PHONE_A: {"conversation": (14970, 0, 0), "broadcast": (0, 0, 650)},
        PHONE_B: BROADCAST_IN_ARREARS,
        PHONE_C: REPLY_CHARGED}
    await assert_reconciled(api)


async def test_sample_06_after_sample_04_is_charged_at_once_as_marketing(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post_ok(api, sample("04_status_sent_marketing.json"))
    assert await api.amounts(ws, key) == FRESH
    await _post_ok(api, sample("06_status_read_no_pricing.json"), times=3)
    assert await api.amounts(ws, key) == BROADCAST_IN_ARREARS
    entries = await charge_entries(api, ws, key)
    assert [(e["kind"], e["wamid"], e["category"], e["amount"]["amount"]) for e in entries] == [
        ("arrears", WAMID_04_05_06, "marketing", -650)]
    await assert_reconciled(api)


async def test_one_workspace_owning_both_numbers_of_a_waba_pays_for_both(api):
    ws, key = await api.create_workspace([PHONE_A, PHONE_B])
    await _post_ok(api, sample("08_batch_statuses_two_phone_numbers.json"), times=3)
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 650)}
    await assert_reconciled(api)


async def test_payload_signed_with_the_rotated_second_secret_is_accepted(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post_ok(api, sample("05_status_delivered_marketing.json"), secret=APP_SECRETS[1])
    assert await api.amounts(ws, key) == BROADCAST_IN_ARREARS
    await assert_reconciled(api)


async def test_statuses_for_unknown_phone_numbers_are_acknowledged_and_charge_nobody(api):
    ws, key = await api.create_workspace(["555000111222333"])
    for name in ("05_status_delivered_marketing.json", "08_batch_statuses_two_phone_numbers.json",
                 "10_status_delivered_free_entry_point_v23.json"):
        await _post_ok(api, sample(name), times=2)
    assert await api.amounts(ws, key) == FRESH
    db = api.client.app[SERVICES].whatsapp.db
    assert await failed_payloads(db) == []
    assert await db.wa_unrouted.count_documents({}) > 0
    await assert_reconciled(api)


async def test_inbound_samples_are_recorded_without_charging(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post_ok(api, sample("01_inbound_text.json"), times=2)
    await _post_ok(api, sample("02_inbound_batch_multi_messages.json"), times=2)
    assert await api.amounts(ws, key) == FRESH
    db = api.client.app[SERVICES].whatsapp.db
    assert await db.wa_inbound.count_documents({"workspace_id": ws}) == 5
    await assert_reconciled(api)


@pytest.mark.parametrize("inbound, expected, category", [
    (None, BROADCAST_IN_ARREARS, "unknown"),
    ("01_inbound_text.json", BROADCAST_IN_ARREARS, "unknown"),   # another customer wrote
    (("6289876543210", 1795146307 - 2 * 3600), REPLY_CHARGED, "service"),  # Andi wrote 2 h before
], ids=["no-inbound", "other-customer", "same-customer-2h-before"])
async def test_sample_06_alone_is_charged_after_the_grace_by_the_24_hour_rule(
        aiohttp_client, make_app, clock, inbound, expected, category):
    app = make_app()
    api = Api(await aiohttp_client(app), clock)
    ws, key = await api.create_workspace([PHONE_A])
    if isinstance(inbound, str):
        await _post_ok(api, sample(inbound))
    elif inbound:
        await _post_ok(api, inbound_payload(PHONE_A, "wamid.andi.1", *inbound))
    await _post_ok(api, sample("06_status_read_no_pricing.json"), times=2)
    assert await api.amounts(ws, key) == FRESH
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app[SERVICES])
    await _post_ok(api, sample("06_status_read_no_pricing.json"))
    await webhooks.sweep(app[SERVICES])
    assert await api.amounts(ws, key) == expected
    entries = await charge_entries(api, ws, key)
    assert [(e["wamid"], e["category"]) for e in entries] == [(WAMID_04_05_06, category)]
    await assert_reconciled(api)
