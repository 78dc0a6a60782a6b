"""Meta webhook payloads → typed events: every sample shape (PMP, CBP, v23), and garbage never
raises."""
import copy
import json
import random
from datetime import datetime, timezone

import pytest

from billing.whatsapp import InboundMessage, OtherChange, StatusUpdate, parse_payload
from tests.helpers import FIXTURES, PHONE_A, PHONE_B, PHONE_C, sample


def kinds(events) -> list[str]:
    return [type(e).__name__ for e in events]


def statuses(events) -> list[StatusUpdate]:
    return [e for e in events if isinstance(e, StatusUpdate)]


def test_inbound_text():
    [message] = parse_payload(sample("01_inbound_text.json"))
    assert message == InboundMessage(
        phone_number_id=PHONE_A,
        wamid="wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNFQjBBMUIyQzNENEU1RjYwMDAxAA==",
        wa_id="6281234567890", user_id="ID.40123456789012345679",
        timestamp=datetime(2026, 11, 20, 3, 15, 7, tzinfo=timezone.utc), type="text")


def test_inbound_batch_yields_every_message_with_its_type_and_sender():
    events = parse_payload(sample("02_inbound_batch_multi_messages.json"))
    assert kinds(events) == ["InboundMessage"] * 4
    assert [(e.type, e.wa_id) for e in events] == [
        ("image", "6281234567890"), ("interactive", "6281234567890"),
        ("button", "6285712345678"), ("text", "6285712345678")]
    assert len({e.wamid for e in events}) == 4


@pytest.mark.parametrize("name, state, category, pricing_type", [
    ("03_status_sent_service_billable.json", "sent", "service", "regular"),
    ("04_status_sent_marketing.json", "sent", "marketing", "regular"),
    ("05_status_delivered_marketing.json", "delivered", "marketing", "regular"),
    ("10_status_delivered_free_entry_point_v23.json", "delivered", "referral_conversion",
     "free_entry_point"),
])
def test_single_status_samples_carry_their_category(name, state, category, pricing_type):
    [event] = parse_payload(sample(name))
    assert isinstance(event, StatusUpdate)
    assert (event.status, event.category, event.pricing["type"]) == (state, category, pricing_type)
    assert event.errors == []


def test_status_fields_are_parsed():
    [event] = parse_payload(sample("05_status_delivered_marketing.json"))
    assert event.phone_number_id == PHONE_A
    assert event.wamid == "wamid.HBgNNjI4OTg3NjU0MzIxMBUCABEYEjA1QzFEMkUzRjRBNUI2QzdFQwA="
    assert event.timestamp == datetime(2026, 11, 20, 3, 20, 9, tzinfo=timezone.utc)
    assert (event.recipient_id, event.recipient_user_id) == (
        "6289876543210", "ID.40123456789012345681")
    assert event.delivered and event.rank == 2


def test_read_without_pricing_has_no_category():
    [event] = parse_payload(sample("06_status_read_no_pricing.json"))
    assert (event.status, event.category, event.pricing) == ("read", None, None)
    assert event.delivered


def test_failed_status_keeps_its_errors_and_is_not_delivered():
    [event] = parse_payload(sample("07_status_failed_with_errors.json"))
    assert (event.status, event.category, event.delivered, event.rank) == ("failed", None, False, 0)
    assert [e["code"] for e in event.errors] == [131049]


def test_batch_over_two_wabas_yields_six_statuses_routed_by_phone_number():
    events = parse_payload(sample("08_batch_statuses_two_phone_numbers.json"))
    assert kinds(events) == ["StatusUpdate"] * 6
    assert [(e.phone_number_id, e.status, e.category) for e in events] == [
        (PHONE_A, "delivered", "service"), (PHONE_A, "read", None),
        (PHONE_B, "sent", "service"), (PHONE_B, "read", "marketing"),
        (PHONE_C, "sent", "service"), (PHONE_C, "failed", None)]
    assert events[0].wamid == events[1].wamid
    assert events[0].pricing["billable"] is False


def test_cbp_legacy_status_takes_the_category_from_pricing():
    [event] = parse_payload(sample("09_status_sent_cbp_legacy.json"))
    assert (event.status, event.category) == ("sent", "marketing")
    assert event.pricing["pricing_model"] == "CBP" and "type" not in event.pricing


def test_account_update_is_an_other_change_without_phone():
    [event] = parse_payload(sample("11_account_update_pricing_tier.json"))
    assert isinstance(event, OtherChange)
    assert (event.field, event.phone_number_id) == ("account_update", None)


def test_errors_only_messages_value_is_an_other_change():
    [event] = parse_payload(sample("12_messages_value_errors_only.json"))
    assert isinstance(event, OtherChange)
    assert (event.field, event.phone_number_id) == ("messages", PHONE_A)


def test_status_and_inbound_in_one_value_both_come_out():
    payload = sample("01_inbound_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["statuses"] = sample("05_status_delivered_marketing.json")["entry"][0]["changes"][0][
        "value"]["statuses"]
    assert kinds(parse_payload(payload)) == ["InboundMessage", "StatusUpdate"]


@pytest.mark.parametrize("raw, expected", [
    ("MARKETING", "marketing"), (" Utility ", "utility"),
    ("authentication-international", "authentication-international"),
    ("marketing_lite", "marketing_lite"), ("", None), (None, None)])
def test_categories_are_normalized(raw, expected):
    payload = sample("05_status_delivered_marketing.json")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["pricing"]["category"] = raw
    [event] = parse_payload(payload)
    assert event.category == expected


@pytest.mark.parametrize("state, rank, delivered", [
    ("sent", 1, False), ("delivered", 2, True), ("read", 3, True), ("played", 4, True),
    ("failed", 0, False), ("deleted", 0, False), ("", 0, False)])
def test_status_ranks(state, rank, delivered):
    payload = sample("05_status_delivered_marketing.json")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = state
    [event] = parse_payload(payload)
    assert (event.rank, event.delivered) == (rank, delivered)


def test_bad_timestamps_do_not_raise():
    for ts in ("soon", None, "1e400", 10**30, -1, [], "1795144809.5"):
        payload = sample("05_status_delivered_marketing.json")
        payload["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"] = ts
        [event] = parse_payload(payload)
        assert event.timestamp.tzinfo is not None


# --- garbage in, no exception out ---------------------------------------------------------------

GARBAGE = [None, 0, 1.5, "x", [], {}, [None], {"entry": None}, {"entry": "x"},
           {"entry": [None, 1, "x", []]}, {"entry": [{"changes": None}]},
           {"entry": [{"changes": [None, "x", {"field": None}]}]},
           {"entry": [{"changes": [{"field": "messages", "value": "x"}]}]},
           {"entry": [{"changes": [{"field": "messages", "value": {"metadata": "x"}}]}]},
           {"entry": [{"changes": [{"field": "messages", "value": {
               "metadata": {"phone_number_id": 123},
               "statuses": [None, 1, {}, {"id": None}, {"id": {"a": 1}, "pricing": [],
                                                        "errors": "x", "recipient_id": []}],
               "messages": [None, {"id": 5, "timestamp": {}}, {"from": "1"}]}}]}]}]


@pytest.mark.parametrize("payload", GARBAGE, ids=[str(i) for i in range(len(GARBAGE))])
def test_garbage_never_raises(payload):
    events = parse_payload(payload)
    assert isinstance(events, list)
    assert all(isinstance(e, (InboundMessage, StatusUpdate, OtherChange)) for e in events)


def _mutate(node, rng: random.Random):
    """Replace, drop or retype random parts of a JSON document."""
    junk = [None, 0, -1, 1.5, "", "x", [], {}, [None], {"id": None}, True, 10**40]
    if isinstance(node, dict):
        for key in list(node):
            roll = rng.random()
            if roll < 0.08:
                del node[key]
            elif roll < 0.16:
                node[key] = rng.choice(junk)
            else:
                node[key] = _mutate(node[key], rng)
    elif isinstance(node, list):
        if node and rng.random() < 0.1:
            node.insert(rng.randrange(len(node) + 1), rng.choice(junk))
        return [_mutate(item, rng) for item in node]
    return node


def test_randomly_mangled_samples_never_raise():
    rng = random.Random(2026)
    originals = [sample(path.name) for path in sorted(FIXTURES.glob("*.json"))]
    assert len(originals) == 12
    for _ in range(300):
        payload = _mutate(copy.deepcopy(rng.choice(originals)), rng)
        events = parse_payload(payload)
        json.dumps([type(e).__name__ for e in events])


# --- only typed, bounded values come out (issue 9 item 5) -------------------------------------

HOSTILE = [2**70, -(2**64), float("inf"), float("nan"), "x\x00y", "", "m" * 100_000, True,
           {"a\x00": [2**80]}, [[[[{"$gt": ""}]]]], None]


def _storable(value) -> bool:
    """What every store takes: bounded text without control characters, 8-byte ints, bools,
    aware datetimes, and dicts/lists of them with plain keys."""
    if value is None or isinstance(value, (bool, datetime)):
        return True
    if isinstance(value, int):
        return -2**63 <= value < 2**63
    if isinstance(value, str):
        return len(value) <= 1000 and not any(ord(c) < 32 for c in value)
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isidentifier() and _storable(v)
                   for k, v in value.items())
    return False


def _fields(event) -> list:
    return [getattr(event, name) for name in event.__slots__]


@pytest.mark.parametrize("hostile", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
@pytest.mark.parametrize("where", ["id", "status", "timestamp", "recipient_id", "pricing",
                                   "pricing.category", "pricing.billable", "pricing.type",
                                   "pricing.extra", "errors", "errors.0.code", "errors.0.title"])
def test_hostile_values_come_out_typed_or_absent(where, hostile):
    payload = sample("07_status_failed_with_errors.json")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular",
                         "category": "marketing"}
    node, *path = where.split(".")
    if not path:
        status[node] = copy.deepcopy(hostile)
    elif path[0] == "0":
        status[node][0][path[1]] = copy.deepcopy(hostile)
    else:
        status[node][path[0]] = copy.deepcopy(hostile)
    [event] = parse_payload(payload)
    assert all(_storable(v) for v in _fields(event)), event
    if isinstance(event, StatusUpdate) and where != "pricing" and where != "pricing.category":
        assert event.category == "marketing"
    if where == "id" and hostile is not None:
        assert isinstance(event, OtherChange)


def test_pricing_keeps_only_the_fields_billing_reads():
    payload = sample("05_status_delivered_marketing.json")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["pricing"].update({"billable": "yes", "volume": 2**70, "cate\x00gory": "x"})
    [event] = parse_payload(payload)
    assert event.pricing == {"category": "marketing", "pricing_model": "PMP", "type": "regular"}
