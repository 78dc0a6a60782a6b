"""Concurrent changes of one held add-on (issue 9 item 4): a decrease or a stop is one
conditional write on the holding it was computed from, and its credit's ledger key is the
transition's, so however many requests race, the wallet is credited at most what one change
earns; the losers answer 409 `holding_changed` (nothing credited) or replay the winner."""
import asyncio

import pytest

from tests.addon_helpers import addon_body, buy_and_pay, create_addon, held, set_quantity, stop
from tests.helpers import assert_reconciled, usage_entries
from tests.subscription_helpers import wib

MID = wib(2026, 12, 6, 10)          # 15 of the 30 days of Nov 21 → Dec 21 left
SEAT = addon_body("seat", periods={"monthly": {"currency": "IDR", "amount": 100_000}})
DECREASE_6_TO_1 = 250_000           # 5 units × Rp100.000 × 1/2
REST_OF_6 = 300_000                 # 6 units × Rp100.000 × 1/2
GRANT = 30_000                      # Growth's conversation grant


async def six_seats(api, phone: str = "6281100000001", addon: dict | None = None):
    ws, key = await api.create_workspace([phone], plan="growth")
    addon = addon or await create_addon(api, SEAT)
    await buy_and_pay(api, ws, key, addon["id"], 6)
    api.clock.set(MID)
    return ws, key, addon


async def addon_credits(api, ws: str, key: str) -> list[int]:
    entries = await usage_entries(api, ws, key, kind="addon_credit")
    return [e["amount"]["amount"] for e in entries]


async def answers(responses) -> list[tuple[int, dict]]:
    return [(r.status, await r.json()) for r in responses]


def assert_losers_credit_nothing(results: list[tuple[int, dict]]) -> None:
    for status, body in results:
        assert status in (200, 409), body
        if status == 409:
            assert body["error"]["code"] == "holding_changed"
            assert body["error"]["details"]["retryable"] is True


@pytest.mark.parametrize("n", [2, 5, 30])
async def test_concurrent_decreases_credit_exactly_one_decrease(api, n):
    ws, key, seat = await six_seats(api)
    results = await answers(await asyncio.gather(
        *(set_quantity(api, ws, key, seat["id"], 1) for _ in range(n))))
    assert_losers_credit_nothing(results)
    assert await addon_credits(api, ws, key) == [DECREASE_6_TO_1]
    assert (await api.amounts(ws, key))["conversation"] == (GRANT, DECREASE_6_TO_1, 0)
    credited = [b["credit"]["amount"] for s, b in results if s == 200 and b["credit"]]
    assert credited and set(credited) == {DECREASE_6_TO_1}   # the winner, or its replay
    assert all(b["quantity"] == 1 for s, b in results if s == 200)
    assert (await held(api, ws, key))[seat["id"]]["quantity"] == 1
    await assert_reconciled(api)


async def test_concurrent_stops_now_credit_the_rest_once(api):
    ws, key, seat = await six_seats(api)
    results = await answers(await asyncio.gather(
        *(stop(api, ws, key, seat["id"], "now") for _ in range(5))))
    for status, body in results:
        assert status in (200, 404, 409), body
    assert await addon_credits(api, ws, key) == [REST_OF_6]
    assert {b["credit"]["amount"] for s, b in results if s == 200} == {REST_OF_6}
    assert await held(api, ws, key) == {}
    await assert_reconciled(api)


async def test_a_decrease_racing_a_stop_now_credits_one_sequence(api):
    seat = None
    for round_, phone in enumerate(("6281100000011", "6281100000012", "6281100000013")):
        api.clock.set(wib(2026, 11, 21, 10))
        ws, key, seat = await six_seats(api, phone, seat)
        decrease, stopped = await answers(await asyncio.gather(
            set_quantity(api, ws, key, seat["id"], 1), stop(api, ws, key, seat["id"], "now")))
        assert decrease[0] in (200, 404, 409) and stopped[0] in (200, 409), (decrease, stopped)
        credits = await addon_credits(api, ws, key)
        assert sum(credits) <= REST_OF_6                    # never more than the holding's rest
        answered = [b["credit"]["amount"] for s, b in (decrease, stopped)
                    if s == 200 and b["credit"]]
        assert sorted(credits) == sorted(answered), (round_, decrease, stopped)
        assert sum(credits) in (DECREASE_6_TO_1, REST_OF_6)  # 6 → 1 alone, 6 → 0, 6 → 1 → 0
        assert (await api.amounts(ws, key))["conversation"] == (GRANT, sum(credits), 0)
    await assert_reconciled(api)
