"""Statuses arrive duplicated and out of order: a message is charged once, by its category; a
message whose category never comes is charged after the grace by the 24-hour rule."""
from datetime import timedelta

import pytest

from service.whatsapp import webhooks
from tests.helpers import (FRESH, PHONE_A, Api, assert_reconciled, charge_entries,
                           inbound_payload, status, status_payload)

TS = 1795144627           # the message's first status (2026-11-20 03:17 UTC)
CUSTOMER = "6281234567890"
REPLY_CHARGED = {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
BROADCAST_IN_ARREARS = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 650)}


async def _post(api, *statuses, phone=PHONE_A):
    resp = await api.webhook(status_payload(phone, list(statuses)))
    assert resp.status == 200, await resp.text()


async def _charged(api, ws, key):
    return [(e["wamid"], e["category"]) for e in await charge_entries(api, ws, key)]


@pytest.mark.parametrize("category, expected", [
    ("service", REPLY_CHARGED), ("marketing", BROADCAST_IN_ARREARS),
    ("utility", BROADCAST_IN_ARREARS), ("referral_conversion", REPLY_CHARGED)])
async def test_read_before_delivered_before_sent_charges_once_by_category(api, category, expected):
    ws, key = await api.create_workspace([PHONE_A])
    await _post(api, status("wamid.o1", "read", None, ts=TS + 60))
    assert await api.amounts(ws, key) == FRESH  # no category yet: waits
    await _post(api, status("wamid.o1", "delivered", category, ts=TS + 5))
    assert await api.amounts(ws, key) == expected
    await _post(api, status("wamid.o1", "sent", category, ts=TS))
    await _post(api, status("wamid.o1", "delivered", category, ts=TS + 5))
    await _post(api, status("wamid.o1", "read", None, ts=TS + 60))
    assert await api.amounts(ws, key) == expected
    assert await _charged(api, ws, key) == [("wamid.o1", category)]
    await assert_reconciled(api)


async def test_all_statuses_of_one_message_in_one_payload_reversed_charge_once(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post(api, status("wamid.o2", "read", None, ts=TS + 60),
                status("wamid.o2", "delivered", "marketing", ts=TS + 5),
                status("wamid.o2", "sent", "marketing", ts=TS))
    assert await api.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert await _charged(api, ws, key) == [("wamid.o2", "marketing")]
    await assert_reconciled(api)


async def test_sent_alone_charges_nothing(api):
    ws, key = await api.create_workspace([PHONE_A])
    for _ in range(3):
        await _post(api, status("wamid.o3", "sent", "marketing"))
    assert await api.amounts(ws, key) == FRESH
    await assert_reconciled(api)


async def test_failed_alone_charges_nothing(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post(api, status("wamid.o4", "sent", "service", ts=TS),
                status("wamid.o4", "failed", None, ts=TS + 3))
    assert await api.amounts(ws, key) == FRESH
    await assert_reconciled(api)


async def test_delivered_after_failed_on_another_device_charges_once(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post(api, status("wamid.o5", "failed", None, ts=TS))
    assert await api.amounts(ws, key) == FRESH
    for _ in range(3):
        await _post(api, status("wamid.o5", "delivered", "service", ts=TS + 10))
    await _post(api, status("wamid.o5", "failed", None, ts=TS + 20))
    assert await api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(api)


async def test_played_status_charges_like_delivered(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _post(api, status("wamid.o6", "played", "service", ts=TS + 30),
                status("wamid.o6", "delivered", "service", ts=TS + 5))
    assert await api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(api)


# --- the category never comes: grace, then the 24-hour rule ----------------------------------

async def test_read_without_pricing_waits_until_the_grace_has_passed(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.g1", "read", None, ts=TS))
    clock.advance(timedelta(minutes=9))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == FRESH
    clock.advance(timedelta(minutes=2))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    await assert_reconciled(app_api)


async def test_after_grace_a_message_answering_an_inbound_of_2h_before_is_a_reply(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    resp = await app_api.webhook(inbound_payload(PHONE_A, "wamid.in1", CUSTOMER, TS - 2 * 3600))
    assert resp.status == 200
    await _post(app_api, status("wamid.g2", "read", None, ts=TS, recipient=CUSTOMER))
    assert await app_api.amounts(ws, key) == FRESH
    clock.advance(timedelta(minutes=11))
    summary = await webhooks.sweep(app_api.svc)
    assert summary["fallback_charged"] == 1
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    assert await _charged(app_api, ws, key) == [("wamid.g2", "service")]
    await webhooks.sweep(app_api.svc)  # a second sweep changes nothing
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(app_api)


async def test_after_grace_an_inbound_matched_by_user_id_makes_it_a_reply(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    inbound = inbound_payload(PHONE_A, "wamid.in2", "6280000000001", TS - 3600)
    message = inbound["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("from")
    message["from_user_id"] = "ID.4012345"
    assert (await app_api.webhook(inbound)).status == 200
    read = status("wamid.g3", "read", None, ts=TS, recipient="")
    read.pop("recipient_id")
    read["recipient_user_id"] = "ID.4012345"
    await _post(app_api, read)
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(app_api)


@pytest.mark.parametrize("inbound", [
    None,                                              # the customer never wrote
    ("6281234567890", TS - 25 * 3600),                 # wrote 25 h before: window closed
    ("6289999999999", TS - 3600),                      # another customer wrote
    ("6281234567890", TS + 3600),                      # wrote only after the message
], ids=["no-inbound", "inbound-25h-before", "other-customer", "inbound-after"])
async def test_after_grace_a_message_without_a_recent_inbound_is_a_broadcast(app_api, clock,
                                                                              inbound):
    ws, key = await app_api.create_workspace([PHONE_A])
    if inbound:
        sender, ts = inbound
        resp = await app_api.webhook(inbound_payload(PHONE_A, "wamid.in3", sender, ts))
        assert resp.status == 200
    await _post(app_api, status("wamid.g4", "read", None, ts=TS, recipient=CUSTOMER))
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert await _charged(app_api, ws, key) == [("wamid.g4", "unknown")]
    await assert_reconciled(app_api)


async def test_inbound_from_another_workspace_does_not_make_it_a_reply(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await app_api.create_workspace(["555000111222333"])
    resp = await app_api.webhook(inbound_payload("555000111222333", "wamid.in4", CUSTOMER, TS - 60))
    assert resp.status == 200
    await _post(app_api, status("wamid.g5", "read", None, ts=TS, recipient=CUSTOMER))
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    await assert_reconciled(app_api)


async def test_pricing_arriving_within_the_grace_charges_at_once_and_the_sweep_adds_nothing(
        app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.g6", "read", None, ts=TS + 60))
    clock.advance(timedelta(minutes=5))
    await _post(app_api, status("wamid.g6", "sent", "marketing", ts=TS))
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    clock.advance(timedelta(minutes=30))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert await _charged(app_api, ws, key) == [("wamid.g6", "marketing")]
    await assert_reconciled(app_api)


async def test_pricing_arriving_after_the_fallback_charge_changes_nothing(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.g7", "read", None, ts=TS + 60))
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    await _post(app_api, status("wamid.g7", "delivered", "service", ts=TS + 5))
    await _post(app_api, status("wamid.g7", "sent", "service", ts=TS))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    assert await _charged(app_api, ws, key) == [("wamid.g7", "unknown")]
    await assert_reconciled(app_api)


async def test_sent_without_delivery_is_never_charged_by_the_sweep(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.g8", "sent", None, ts=TS),
                status("wamid.g9", "failed", None, ts=TS))
    clock.advance(timedelta(hours=2))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == FRESH
    await assert_reconciled(app_api)


# --- several statuses, none with pricing ------------------------------------------------------
# On NX-27017 an update that writes a datetime into an existing document ($set, $min) stores it
# as a naive string, and $min on datetimes keeps the later value. A message's second status
# therefore turns wa_messages.first_seen / delivered_seen_at into strings, and
# billing.charging.reply_window computed `sent_at - REPLY_WINDOW` on a str: TypeError.


@pytest.mark.parametrize("states", [("sent", "delivered"), ("sent", "delivered", "read"),
                                    ("read", "delivered")], ids=["in-order", "full", "reversed"])
async def test_message_whose_statuses_all_lack_pricing_is_charged_by_the_24h_rule(app_api, clock,
                                                                                  states):
    ws, key = await app_api.create_workspace([PHONE_A])
    offsets = {"sent": 0, "delivered": 5, "read": 60}
    for state in states:
        await _post(app_api, status("wamid.n1", state, None, ts=TS + offsets[state]))
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == BROADCAST_IN_ARREARS
    await assert_reconciled(app_api)


async def test_reply_rule_uses_the_first_status_of_a_message_with_several_statuses(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    # the customer wrote 23 h 59 min before the `sent`, i.e. > 24 h before the later `read`
    inbound = inbound_payload(PHONE_A, "wamid.in5", CUSTOMER, TS - 24 * 3600 + 60)
    assert (await app_api.webhook(inbound)).status == 200
    await _post(app_api, status("wamid.n2", "sent", None, ts=TS, recipient=CUSTOMER))
    await _post(app_api, status("wamid.n2", "read", None, ts=TS + 3600, recipient=CUSTOMER))
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == REPLY_CHARGED
    await assert_reconciled(app_api)


async def test_one_message_without_pricing_does_not_block_the_sweep_for_others(app_api, clock):
    ws, key = await app_api.create_workspace([PHONE_A])
    await _post(app_api, status("wamid.n3", "sent", None, ts=TS),
                status("wamid.n3", "delivered", None, ts=TS + 5))
    await _post(app_api, status("wamid.n4", "read", None, ts=TS))   # one status: fine alone
    clock.advance(timedelta(minutes=11))
    await webhooks.sweep(app_api.svc)
    assert await app_api.amounts(ws, key) == {"conversation": (15000, 0, 0),
                                              "broadcast": (0, 0, 1300)}
    await assert_reconciled(app_api)


@pytest.mark.parametrize("first, then", [
    (("sent", "marketing"), ("delivered", None)), (("delivered", None), ("sent", "marketing"))])
async def test_statuses_of_one_message_on_two_instances_combine_into_one_charge(
        api, aiohttp_client, make_app, clock, first, then):
    """The second instance has never seen the message, so it first tries to create its record;
    the record exists, and its earlier status must still count."""
    other = Api(await aiohttp_client(make_app()), clock)
    ws, key = await api.create_workspace([PHONE_A])
    await _post(api, status("wamid.o9", first[0], first[1], ts=TS))
    await _post(other, status("wamid.o9", then[0], then[1], ts=TS + 5))
    assert await api.amounts(ws, key) == BROADCAST_IN_ARREARS
    await _post(other, status("wamid.o9", "read", None, ts=TS + 60))
    await _post(api, status("wamid.o9", "read", "marketing", ts=TS + 60))
    assert await _charged(api, ws, key) == [("wamid.o9", "marketing")]
    await assert_reconciled(api)
