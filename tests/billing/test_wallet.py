"""The wallet's pure rules: charges take granted then purchased, a charge the balance cannot cover
goes whole into arrears, credits pay arrears first, expiry removes only granted credit; and
authorize-before-send."""
import pytest

from billing.errors import CurrencyMismatch
from billing.money import Money
from billing.wallet import Buckets, LedgerIntent, apply_intent, authorize, shown_amount
from billing.wallet import ACTIVITIES, CREDIT_KINDS, DEBIT_KINDS, activity, messages_covered


def idr(amount: int) -> Money:
    return Money.idr(amount)


def buckets(granted: int = 0, purchased: int = 0, arrears: int = 0) -> Buckets:
    return Buckets(idr(granted), idr(purchased), idr(arrears))


def intent(kind: str, amount: int, key: str = "k1", balance: str = "conversation") -> LedgerIntent:
    return LedgerIntent(key, kind, balance, idr(amount), {"wamid": "wamid.1"})


def amounts(state: Buckets) -> tuple[int, int, int]:
    return state.granted.amount, state.purchased.amount, state.arrears.amount


def assert_entries_sum_to_the_change(before: Buckets, after: Buckets, entries) -> None:
    assert sum(e.amount.amount for e in entries) == after.net.amount - before.net.amount
    assert entries[-1].after == after
    assert min(amounts(after)) >= 0


# --- charges ----------------------------------------------------------------------------------

def test_charge_takes_granted_first():
    before = buckets(granted=100, purchased=50)
    after, [entry] = apply_intent(before, intent("charge", 30))
    assert amounts(after) == (70, 50, 0)
    assert (entry.kind, entry.key, entry.amount) == ("charge", "k1", idr(-30))
    assert entry.delta == buckets(-30, 0, 0)
    assert entry.meta == {"wamid": "wamid.1"}
    assert_entries_sum_to_the_change(before, after, [entry])


def test_charge_takes_the_rest_from_purchased_when_granted_runs_out():
    before = buckets(granted=20, purchased=50)
    after, [entry] = apply_intent(before, intent("charge", 30))
    assert amounts(after) == (0, 40, 0)
    assert entry.delta == buckets(-20, -10, 0)
    assert_entries_sum_to_the_change(before, after, [entry])


def test_charge_equal_to_the_total_empties_both_buckets_without_arrears():
    after, [entry] = apply_intent(buckets(granted=400, purchased=250), intent("charge", 650))
    assert amounts(after) == (0, 0, 0)
    assert entry.kind == "charge"


def test_charge_larger_than_the_total_goes_whole_to_arrears():
    before = buckets(granted=1000, purchased=0)
    after, [entry] = apply_intent(before, intent("charge", 7000))
    assert amounts(after) == (1000, 0, 7000)          # the buckets are not touched
    assert (entry.kind, entry.key, entry.amount) == ("arrears", "k1", idr(-7000))
    assert entry.delta == buckets(0, 0, 7000)
    assert_entries_sum_to_the_change(before, after, [entry])


def test_charge_on_empty_buckets_adds_to_existing_arrears():
    after, [entry] = apply_intent(buckets(arrears=650), intent("charge", 650, balance="broadcast"))
    assert amounts(after) == (0, 0, 1300)
    assert entry.balance == "broadcast"


def test_charge_with_arrears_outstanding_still_takes_available_credit():
    after, [entry] = apply_intent(buckets(granted=100, arrears=650), intent("charge", 30))
    assert amounts(after) == (70, 0, 650)
    assert entry.kind == "charge"


def test_zero_charge_changes_nothing():
    after, [entry] = apply_intent(buckets(granted=5), intent("charge", 0))
    assert amounts(after) == (5, 0, 0)
    assert entry.amount == idr(0)


# --- credits ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, bucket", [("grant", 0), ("topup", 1), ("addon_credit", 1),
                                          ("refund", 1)])
def test_credit_goes_to_its_bucket(kind, bucket):
    before = buckets(granted=10, purchased=20)
    after, [entry] = apply_intent(before, intent(kind, 1000))
    expected = [10, 20, 0]
    expected[bucket] += 1000
    assert amounts(after) == tuple(expected)
    assert (entry.kind, entry.amount) == (kind, idr(1000))
    assert_entries_sum_to_the_change(before, after, [entry])


def test_credit_pays_arrears_first_with_a_settlement_entry():
    before = buckets(granted=0, purchased=0, arrears=7000)
    after, entries = apply_intent(before, intent("topup", 10000, key="topup:1"))
    assert amounts(after) == (0, 3000, 0)
    credit, settlement = entries
    assert (credit.kind, credit.key, credit.amount) == ("topup", "topup:1", idr(10000))
    assert (settlement.kind, settlement.key, settlement.amount) == (
        "arrears_settlement", "topup:1:settle", idr(0))
    assert settlement.delta == buckets(0, -7000, -7000)
    assert credit.after == buckets(0, 10000, 7000)
    assert_entries_sum_to_the_change(before, after, entries)


def test_credit_smaller_than_the_arrears_pays_part_of_them():
    before = buckets(granted=1000, arrears=7000)
    after, entries = apply_intent(before, intent("grant", 5000, key="grant:p2"))
    assert amounts(after) == (1000, 0, 2000)
    assert entries[1].delta == buckets(-5000, 0, -5000)
    assert_entries_sum_to_the_change(before, after, entries)


def test_grant_pays_arrears_from_the_granted_bucket_only():
    after, entries = apply_intent(buckets(granted=0, purchased=500, arrears=650),
                                  intent("grant", 15000))
    assert amounts(after) == (14350, 500, 0)
    assert [e.kind for e in entries] == ["grant", "arrears_settlement"]


def test_a_settlement_shows_the_amount_it_settled_and_other_entries_their_change():
    before = buckets(granted=1000, arrears=7000)
    _, [grant, settlement] = apply_intent(before, intent("grant", 5000, key="grant:p3"))
    assert (shown_amount(grant), shown_amount(settlement)) == (idr(5000), idr(5000))
    _, [charge] = apply_intent(buckets(granted=100), intent("charge", 30))
    assert shown_amount(charge) == idr(-30)


def test_credit_without_arrears_has_no_settlement():
    _, entries = apply_intent(buckets(granted=1), intent("topup", 50000))
    assert [e.kind for e in entries] == ["topup"]


# --- expiry -----------------------------------------------------------------------------------

def test_expiry_removes_unused_granted_credit_only():
    before = buckets(granted=14970, purchased=5000)
    after, [entry] = apply_intent(before, intent("expiry", 15000))
    assert amounts(after) == (0, 5000, 0)
    assert (entry.kind, entry.amount) == ("expiry", idr(-14970))
    assert_entries_sum_to_the_change(before, after, [entry])


def test_expiry_of_less_than_the_grant_keeps_the_rest():
    after, _ = apply_intent(buckets(granted=15000), intent("expiry", 10000))
    assert amounts(after) == (5000, 0, 0)


def test_expiry_never_touches_arrears():
    after, [entry] = apply_intent(buckets(granted=0, arrears=650), intent("expiry", 15000))
    assert amounts(after) == (0, 0, 650)
    assert entry.amount == idr(0)


# --- a long sequence keeps the invariant --------------------------------------------------------

def test_any_sequence_of_intents_keeps_buckets_non_negative_and_sums_to_the_net():
    import random
    rng = random.Random(42)
    state, total = buckets(), 0
    for i in range(2000):
        kind = rng.choice(["charge", "charge", "charge", "grant", "topup", "expiry", "refund"])
        amount = rng.choice([0, 30, 650, 7000, 15000, 100000])
        state, entries = apply_intent(state, intent(kind, amount, key=f"k{i}"))
        total += sum(e.amount.amount for e in entries)
        assert min(amounts(state)) >= 0
        assert total == state.net.amount


# --- intents are validated ----------------------------------------------------------------------

def test_intent_amounts_are_magnitudes():
    with pytest.raises(ValueError):
        intent("charge", -30)


def test_intent_kind_must_be_known():
    with pytest.raises(ValueError):
        intent("gift", 30)


def test_mixed_currencies_are_refused():
    with pytest.raises(CurrencyMismatch):
        apply_intent(buckets(granted=100), LedgerIntent("k", "charge", "conversation",
                                                         Money(30, "USD")))


# --- authorize ----------------------------------------------------------------------------------

def test_reply_may_run_into_arrears_up_to_the_limit():
    state = buckets(granted=15000)
    ok = authorize(state, idr(30000), may_use_arrears=True, arrears_limit=idr(15000))
    assert (ok.allowed, ok.cost, ok.available) == (True, idr(30000), idr(30000))
    no = authorize(state, idr(30001), may_use_arrears=True, arrears_limit=idr(15000))
    assert (no.allowed, no.available) == (False, idr(30000))


def test_existing_arrears_reduce_what_replies_may_still_spend():
    state = buckets(granted=1000, arrears=7000)
    result = authorize(state, idr(7000), may_use_arrears=True, arrears_limit=idr(15000))
    assert (result.allowed, result.available) == (True, idr(9000))
    assert not authorize(state, idr(9001), may_use_arrears=True, arrears_limit=idr(15000)).allowed


def test_broadcast_must_be_covered_by_the_net_balance():
    result = authorize(buckets(), idr(650), may_use_arrears=False, arrears_limit=idr(15000))
    assert (result.allowed, result.available) == (False, idr(0))
    assert authorize(buckets(purchased=650), idr(650), may_use_arrears=False,
                     arrears_limit=idr(15000)).allowed
    in_arrears = authorize(buckets(purchased=650, arrears=650), idr(650), may_use_arrears=False,
                           arrears_limit=idr(15000))
    assert (in_arrears.allowed, in_arrears.available) == (False, idr(0))


def test_zero_arrears_limit_lets_replies_spend_only_the_balance():
    state = buckets(granted=30)
    assert authorize(state, idr(30), may_use_arrears=True, arrears_limit=idr(0)).allowed
    assert not authorize(state, idr(60), may_use_arrears=True, arrears_limit=idr(0)).allowed


# --- what a person reads (the portal's WhatsApp Balance screen) ------------------------------


def test_messages_covered_is_the_net_balance_over_the_price_rounded_down():
    idr = Money.idr
    assert messages_covered(Buckets(idr(15_000), idr(0), idr(0)), idr(30)) == 500
    assert messages_covered(Buckets(idr(14_000), idr(1_029), idr(0)), idr(650)) == 23
    assert messages_covered(Buckets(idr(20), idr(0), idr(0)), idr(30)) == 0
    assert messages_covered(Buckets(idr(0), idr(700), idr(650)), idr(30)) == 1    # net 50
    assert messages_covered(Buckets(idr(0), idr(0), idr(650)), idr(650)) == 0     # in arrears
    assert messages_covered(Buckets(idr(5_000), idr(0), idr(0)), idr(0)) is None  # free


def test_a_charge_reads_as_a_reply_or_a_broadcast_paid_or_into_arrears():
    state = Buckets.empty()
    _, [paid] = apply_intent(Buckets(Money.idr(100), Money.idr(0), Money.idr(0)),
                             LedgerIntent("k1", "charge", "conversation", Money.idr(30)))
    _, [owed] = apply_intent(state, LedgerIntent("k2", "charge", "broadcast", Money.idr(650)))
    _, [grant] = apply_intent(state, LedgerIntent("k3", "grant", "conversation", Money.idr(9)))
    assert (activity(paid), activity(owed), activity(grant)) == ("reply", "broadcast", "grant")
    assert owed.kind == "arrears"
    every_kind = {kind for _, kinds in ACTIVITIES.values() for kind in kinds}
    assert every_kind == CREDIT_KINDS | DEBIT_KINDS | {"arrears", "arrears_settlement"}
