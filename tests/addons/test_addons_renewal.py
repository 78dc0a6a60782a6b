"""Recurring add-ons renew with the subscription (billing run): lines on the plan's renewal
invoice, their own invoice when the plan cannot carry them, removal when unpaid or stopped, a
wallet credit when a paid renewal overpays; plan changes drop what the new plan does not allow."""
from tests.addon_helpers import (EXTRA_USER, addon_body, buy_and_pay, create_addon, held,
                                 set_quantity, stop)
from tests.helpers import account_credit, ADMIN_TOKEN, PHONE_A, app_services, assert_reconciled, press_pay
from tests.subscription_helpers import (IMMEDIATE_UPGRADES, invoices, post, run_due,
                                        set_policy, subscription, wib)

LEAD = wib(2026, 12, 18, 10)        # renewal invoices are issued 3 days before the end
DEC_21 = wib(2026, 12, 21, 10)


async def pay_invoice(api, code: str) -> None:
    payment = await app_services(api).db.payments.find_one({"invoice_code": code})
    resp = await press_pay(api, payment["_id"])
    assert resp.status == 200


async def test_the_renewal_invoice_carries_the_addon_lines(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 2)
    await run_due(api, LEAD)
    renewal = (await invoices(api, ws, key, type="renewal"))[0]
    assert renewal["amount"]["amount"] == 299_000 + 98_000
    assert [line["amount"]["amount"] for line in renewal["lines"]] == [299_000, 98_000]
    assert await invoices(api, ws, key, type="addon", status="pending") == []
    await pay_invoice(api, renewal["code"])
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert sub["current_period"]["start"].startswith("2026-12-21")
    assert sub["addons"][0]["quantity"] == 2
    await assert_reconciled(api)


async def test_addons_the_plan_invoice_cannot_carry_get_their_own_renewal_invoice(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, addon_body("usd-seat", periods={"monthly": {
        "currency": "USD", "amount": 500}}))
    await buy_and_pay(api, ws, key, seat["id"], 3)
    await run_due(api, LEAD)
    renewal = (await invoices(api, ws, key, type="renewal"))[0]
    assert renewal["amount"] == {"amount": 299_000, "currency": "IDR", "formatted": "Rp299.000"}
    own = await invoices(api, ws, key, type="addon", status="pending")
    assert [(i["amount"]["amount"], i["amount"]["currency"]) for i in own] == [(1500, "USD")]
    await pay_invoice(api, renewal["code"])
    await pay_invoice(api, own[0]["code"])
    await run_due(api, DEC_21)
    assert (await held(api, ws, key))[seat["id"]]["quantity"] == 3


async def test_an_unpaid_addon_renewal_on_a_free_plan_removes_the_addon(api):
    ws, key = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])
    await run_due(api, LEAD)
    own = await invoices(api, ws, key, type="addon", status="pending")
    assert [i["amount"]["amount"] for i in own] == [49_000]
    await run_due(api, wib(2026, 12, 20, 12))            # it expired: issued again
    again = await invoices(api, ws, key, type="addon", status="pending")
    assert [i["amount"]["amount"] for i in again] == [49_000]
    await run_due(api, DEC_21)
    assert await held(api, ws, key) == {}
    assert [i["status"] for i in await invoices(api, ws, key, type="addon")] == [
        "cancelled", "expired", "paid"]


async def test_an_addon_stopped_at_the_period_end_is_not_renewed(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 2)
    await run_due(api, LEAD)
    first = (await invoices(api, ws, key, type="renewal"))[0]
    assert first["amount"]["amount"] == 397_000
    await stop(api, ws, key, user["id"])                  # the open renewal is re-issued
    await run_due(api, wib(2026, 12, 18, 11))
    renewals = await invoices(api, ws, key, type="renewal")
    assert [(i["status"], i["amount"]["amount"]) for i in renewals] == [
        ("pending", 299_000), ("cancelled", 397_000)]
    await pay_invoice(api, renewals[0]["code"])
    await run_due(api, DEC_21)
    assert await held(api, ws, key) == {}
    await assert_reconciled(api)


async def test_a_paid_renewal_that_overpays_is_credited_at_the_boundary(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 2)
    await run_due(api, LEAD)
    await pay_invoice(api, (await invoices(api, ws, key, type="renewal"))[0]["code"])
    resp = await set_quantity(api, ws, key, user["id"], 1)    # now, credited for this period
    assert (await resp.json())["credit"]["amount"] == 4_900   # 49 000 × 3/30
    await run_due(api, DEC_21)
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 1
    # Growth grants 30 000 again; the paid second unit of the new period is credited back
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    assert await account_credit(api, ws, key) == (4_900 + 49_000, [4_900, 49_000])
    await assert_reconciled(api)


async def test_one_time_and_deactivated_addons_carry_over(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    pack = await create_addon(api, addon_body("pack", billing="one_time"))
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, pack["id"], 2)
    await buy_and_pay(api, ws, key, user["id"])
    await api.client.post(f"/v1/admin/addons/{user['id']}/deactivate",
                          headers=api.auth(ADMIN_TOKEN))
    await run_due(api, LEAD)
    renewal = (await invoices(api, ws, key, type="renewal"))[0]
    assert renewal["amount"]["amount"] == 299_000 + 49_000    # the one-time pack is not renewed
    await pay_invoice(api, renewal["code"])
    await run_due(api, DEC_21)
    assert {a: h["quantity"] for a, h in (await held(api, ws, key)).items()} == {
        pack["id"]: 2, user["id"]: 1}


async def test_a_plan_change_drops_addons_the_new_plan_does_not_allow(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    growth_only = await create_addon(api, addon_body("growth-seat",
                                                     applicable_plans=["growth"]))
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, growth_only["id"], 2)
    await buy_and_pay(api, ws, key, user["id"], 1)
    body = {"plan": "pro", "period": "monthly", "addons": [{"addon_id": user["id"],
                                                            "quantity": 3}]}
    quote = await (await post(api, ws, key, "quote", body)).json()
    assert quote["removed_addons"] == [{"addon_id": growth_only["id"], "quantity": 2,
                                        "reason": "not_applicable"}]
    addon_line = [line for line in quote["lines"] if line["kind"] == "addon"]
    assert [(line["addon_id"], line["quantity"], line["quantity_change"],
             line["amount"]["amount"]) for line in addon_line] == [(user["id"], 3, 2, 147_000)]
    assert quote["total"]["amount"] == 599_000 + 147_000
    placed = await (await post(api, ws, key, "change", body)).json()
    assert placed["invoice"]["amount"]["amount"] == 746_000
    await press_pay(api, placed["payment"]["id"])
    await run_due(api, DEC_21)
    sub = await subscription(api, ws, key)
    assert sub["plan"] == "pro"
    assert {a["addon_id"]: a["quantity"] for a in sub["addons"]} == {user["id"]: 3}
    await assert_reconciled(api)


async def test_an_immediate_upgrade_removes_inapplicable_addons_with_a_credit(api):
    await set_policy(api, IMMEDIATE_UPGRADES)
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    growth_only = await create_addon(api, addon_body("growth-seat", applicable_plans=[
        "growth"], periods={"monthly": {"currency": "IDR", "amount": 30_000}}))
    await buy_and_pay(api, ws, key, growth_only["id"])
    api.clock.set(wib(2026, 12, 11, 10))                   # 10 of 30 days left
    placed = await (await post(api, ws, key, "change", {"plan": "pro",
                                                        "period": "monthly"})).json()
    assert placed["quote"]["timing"] == "immediate"
    assert placed["quote"]["removed_addons"][0]["addon_id"] == growth_only["id"]
    await press_pay(api, placed["payment"]["id"])
    assert await held(api, ws, key) == {}
    assert (await api.amounts(ws, key))["conversation"][1] == 0       # account credit instead
    assert await account_credit(api, ws, key) == (10_000, [10_000])
    await assert_reconciled(api)
