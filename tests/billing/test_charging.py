"""The charge decision, pure: statuses and known records in, ledger intents out."""
from datetime import datetime, timedelta, timezone

from billing.charging import (MessageRecord, decide, decide_overdue, records_needed,
                              reply_window)
from billing.money import Money
from billing.rates import RateCard
from billing.whatsapp import StatusUpdate

AT = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)
RATES = {"ws_a": RateCard(overrides={"marketing": Money.idr(700)})}


def update(wamid: str, state: str, category: str | None = None) -> tuple[str, StatusUpdate]:
    return "ws_a", StatusUpdate("PHONE", wamid, state, AT, "628123", None, category)


def record(wamid: str, *, category: str | None = None, rank: int = 2,
           charge_key: str | None = None, workspace_id: str = "ws_a") -> MessageRecord:
    return MessageRecord(wamid, workspace_id, "628123", None, category, rank, AT, AT, charge_key)


def test_a_delivered_status_with_pricing_is_charged_from_the_payload_alone():
    statuses = [update("w1", "delivered", "marketing")]
    assert records_needed(statuses, created=set()) == set()
    decision = decide(statuses, {}, RATES)
    [intent] = decision.intents["ws_a"]
    assert (intent.key, intent.balance, intent.amount) == ("charge:w1", "broadcast",
                                                           Money.idr(700))
    assert intent.meta == {"wamid": "w1", "category": "marketing", "inferred_category": False}
    assert decision.waiting == ()


def test_a_read_without_pricing_needs_the_stored_record_unless_this_payload_created_it():
    statuses = [update("w2", "read")]
    assert records_needed(statuses, created=set()) == {"w2"}
    assert records_needed(statuses, created={"w2"}) == set()


def test_a_stored_category_completes_a_later_read():
    decision = decide([update("w3", "read")], {"w3": record("w3", category="service", rank=3)},
                      RATES)
    assert [i.key for i in decision.intents["ws_a"]] == ["charge:w3"]
    assert decision.intents["ws_a"][0].balance == "conversation"


def test_a_delivered_message_without_any_category_waits():
    decision = decide([update("w4", "delivered")], {"w4": record("w4")}, RATES)
    assert decision.intents == {} and decision.waiting == ("w4",)


def test_nothing_is_decided_for_a_sent_message_a_swept_one_or_an_unknown_workspace():
    statuses = [update("w5", "sent", "marketing"), update("w6", "read"), update("w7", "read")]
    known = {"w6": record("w6", category=None, rank=3, charge_key="charge:w6"),
             "w7": record("w7", category="marketing", rank=3, workspace_id="ws_gone")}
    assert decide(statuses, known, RATES) == decide([], {}, RATES)


def test_the_24_hour_rule_picks_a_reply_or_a_broadcast():
    records = [record("w8"), record("w9")]
    intents = decide_overdue(records, RATES, replied={"w8"})["ws_a"]
    assert [(i.balance, i.amount, i.meta["inferred_category"]) for i in intents] == [
        ("conversation", Money.idr(30), True), ("broadcast", Money.idr(650), True)]
    assert reply_window(records[0]) == ({"628123"}, AT - timedelta(hours=24), AT)


def test_a_record_without_recipient_has_no_reply_window():
    assert reply_window(MessageRecord("w10", "ws_a", None, None, None, 2, AT, AT, None)) is None
