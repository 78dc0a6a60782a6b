"""A plan change with add-ons priced in another currency than the plan (issue 9 item 8): the
quote shows every line with one total per currency, and the change places every invoice of the
order at once (one per currency), all returned in its response; an add-on is applied only when
its own invoice is paid. An immediate upgrade cannot carry another currency: 422."""
import asyncio

from tests.addon_helpers import addon_body, buy_and_pay, create_addon, held
from tests.helpers import PHONE_A, assert_reconciled, press_pay
from tests.subscription_helpers import (IMMEDIATE_UPGRADES, base, invoices, post, run_due,
                                        set_policy, subscription, wib)

LEAD = wib(2026, 12, 18, 10)
DEC_21 = wib(2026, 12, 21, 10)
USD_SEAT = addon_body("usd-seat", display_name="USD Seat", periods={"monthly": {
    "currency": "USD", "amount": 14_400}})                                       # US$144.00


async def growth_and_seat(api) -> tuple[str, str, dict, dict]:
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, USD_SEAT)
    return ws, key, seat, {"plan": "pro", "period": "monthly",
                           "addons": [{"addon_id": seat["id"], "quantity": 1}]}


def amounts(lines: list[dict]) -> list[tuple[int, str]]:
    return [(line["amount"]["amount"], line["amount"]["currency"]) for line in lines]


async def test_the_quote_shows_every_line_with_a_total_per_currency(api):
    ws, key, seat, body = await growth_and_seat(api)
    resp = await post(api, ws, key, "quote", body)
    assert resp.status == 200, await resp.text()
    quote = await resp.json()
    assert amounts(quote["lines"]) == [(599_000, "IDR"), (14_400, "USD")]
    assert quote["lines"][1]["addon_id"] == seat["id"]
    assert [(t["amount"], t["currency"]) for t in quote["totals"]] == [
        (599_000, "IDR"), (14_400, "USD")]


async def test_the_change_places_one_invoice_per_currency_and_returns_them_all(api):
    ws, key, seat, body = await growth_and_seat(api)
    quote = await (await post(api, ws, key, "quote", body)).json()
    resp = await post(api, ws, key, "change", body, headers={"Idempotency-Key": "pro+usd"})
    assert resp.status == 200, await resp.text()
    placed = await resp.json()
    assert placed["quote"]["lines"] == quote["lines"]
    assert [(i["invoice"]["type"], i["invoice"]["amount"]["amount"],
             i["invoice"]["amount"]["currency"]) for i in placed["invoices"]] == [
        ("plan_change", 599_000, "IDR"), ("addon", 14_400, "USD")]
    # the invoices' lines are the quote's lines, every one of them
    assert sorted(amounts([line for i in placed["invoices"] for line in i["invoice"]["lines"]])
                  ) == sorted(amounts(quote["lines"]))
    assert placed["invoice"]["code"] == placed["invoices"][0]["invoice"]["code"]
    again = await (await post(api, ws, key, "change", body,
                              headers={"Idempotency-Key": "pro+usd"})).json()
    assert [i["invoice"]["code"] for i in again["invoices"]] == [
        i["invoice"]["code"] for i in placed["invoices"]]
    for each in placed["invoices"]:
        assert (await press_pay(api, each["payment"]["id"])).status == 200
    await run_due(api, LEAD)                             # nothing more to invoice
    assert len(await invoices(api, ws, key)) == 2
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert sub["plan"] == "pro"
    assert {a["addon_id"]: a["quantity"] for a in sub["addons"]} == {seat["id"]: 1}
    await assert_reconciled(api)


async def test_an_addon_whose_own_invoice_is_unpaid_is_not_applied(api):
    ws, key, seat, body = await growth_and_seat(api)
    placed = await (await post(api, ws, key, "change", body)).json()
    plan_invoice, addon_invoice = placed["invoices"]
    await press_pay(api, plan_invoice["payment"]["id"])
    await run_due(api, LEAD)               # the first expired unpaid: the run invoices it again
    usd = await invoices(api, ws, key, type="addon")
    assert [(i["status"], i["amount"]["amount"]) for i in usd] == [("pending", 14_400),
                                                                   ("expired", 14_400)]
    assert usd[1]["code"] == addon_invoice["invoice"]["code"]
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert sub["plan"] == "pro" and sub["addons"] == []
    assert [i["status"] for i in await invoices(api, ws, key, type="addon")] == [
        "expired", "expired"]                                        # nothing left to pay
    await assert_reconciled(api)


async def test_a_held_addon_in_another_currency_is_quoted_and_invoiced_with_the_change(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, USD_SEAT)
    await buy_and_pay(api, ws, key, seat["id"], 2)
    body = {"plan": "pro", "period": "monthly"}
    quote = await (await post(api, ws, key, "quote", body)).json()
    assert amounts(quote["lines"]) == [(599_000, "IDR"), (28_800, "USD")]
    placed = await (await post(api, ws, key, "change", body)).json()
    assert [i["invoice"]["amount"]["amount"] for i in placed["invoices"]] == [599_000, 28_800]
    await run_due(api, LEAD)                      # the run finds the add-on already invoiced
    assert len(await invoices(api, ws, key, type="addon", status="pending")) == 1


async def test_undoing_the_change_cancels_its_invoices_in_every_currency(api):
    ws, key, seat, body = await growth_and_seat(api)
    placed = await (await post(api, ws, key, "change", body)).json()
    resp = await api.client.delete(f"{base(ws)}/scheduled-change", headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    statuses = {i["code"]: i["status"] for i in await invoices(api, ws, key)}
    assert statuses == {i["invoice"]["code"]: "cancelled" for i in placed["invoices"]}
    await run_due(api, LEAD)
    assert await invoices(api, ws, key, type="addon", status="pending") == []
    assert await held(api, ws, key) == {}


async def test_an_immediate_upgrade_refuses_an_addon_in_another_currency(api):
    await set_policy(api, IMMEDIATE_UPGRADES)
    ws, key, seat, body = await growth_and_seat(api)
    for action in ("quote", "change"):
        resp = await post(api, ws, key, action, body)
        assert resp.status == 422, await resp.text()
        assert (await resp.json())["error"]["code"] == "addon_currency_mismatch"
    assert await invoices(api, ws, key) == []


async def test_concurrent_identical_changes_place_each_invoice_once(api):
    ws, key, seat, body = await growth_and_seat(api)
    responses = await asyncio.gather(*(post(api, ws, key, "change", body) for _ in range(4)))
    assert [r.status for r in responses] == [200] * 4
    placed = [await r.json() for r in responses]
    pending = await invoices(api, ws, key, status="pending")
    assert sorted((i["type"], i["amount"]["amount"]) for i in pending) == [
        ("addon", 14_400), ("plan_change", 599_000)]
    final = (await subscription(api, ws, key))["scheduled_change"]["invoice_code"]
    assert final in {i["code"] for i in pending}
    assert all({i["invoice"]["code"] for i in p["invoices"]} == {i["code"] for i in pending}
               for p in placed)
