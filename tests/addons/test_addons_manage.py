"""Managing held add-ons over HTTP: quantity up (invoice) and down (account credit), stop at the
period end or now, deactivation, effective limits and the entitlement check."""
from tests.addon_helpers import (ADMIN, EXTRA_CONTACTS, EXTRA_USER, FEATURE_BUNDLE,
                                 addon_body, buy_and_pay, check, create_addon, held,
                                 set_quantity, stop)
from tests.helpers import account_credit, PHONE_A, assert_reconciled, press_pay
from tests.subscription_helpers import invoices, subscription, wib

MID = wib(2026, 12, 6, 10)          # 15 of the 30 days of Nov 21 → Dec 21 left


async def growth_with(api, body: dict, quantity: int = 1):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = await create_addon(api, body)
    await buy_and_pay(api, ws, key, addon["id"], quantity)
    return ws, key, addon


async def test_quantity_up_is_invoiced_prorated_and_applied_when_paid(api):
    ws, key, user = await growth_with(api, EXTRA_USER, 2)
    api.clock.set(MID)
    resp = await set_quantity(api, ws, key, user["id"], 5)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["invoice"]["amount"]["amount"] == 73_500          # 3 × 49 000 × 1/2
    assert body["quantity"] == 2
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 2
    await press_pay(api, body["payment"]["id"])
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 5
    await assert_reconciled(api)


async def test_quantity_down_credits_the_prorated_difference_as_account_credit(api):
    ws, key, user = await growth_with(api, EXTRA_USER, 5)
    api.clock.set(MID)
    resp = await set_quantity(api, ws, key, user["id"], 2)
    body = await resp.json()
    assert body["credit"]["amount"] == 73_500 and body["invoice"] is None
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 2
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    assert await account_credit(api, ws, key) == (73_500, [73_500])
    again = await set_quantity(api, ws, key, user["id"], 2)        # nothing more to credit
    assert (await again.json())["credit"] is None
    assert await account_credit(api, ws, key) == (73_500, [73_500])
    await assert_reconciled(api)


async def test_a_usd_addon_decrease_applies_from_the_period_end(api):
    ws, key, seat = await growth_with(api, addon_body("usd-seat", periods={"monthly": {
        "currency": "USD", "amount": 500}}), 4)
    resp = await set_quantity(api, ws, key, seat["id"], 1)
    body = await resp.json()
    assert body["credit"] is None
    holding = (await held(api, ws, key))[seat["id"]]
    assert (holding["quantity"], holding["next_quantity"]) == (4, 1)
    resp = await stop(api, ws, key, seat["id"], "now")
    assert (await resp.json())["error"]["code"] == "prorated_credit_unavailable"


async def test_one_time_addons_have_no_quantity_to_change(api):
    ws, key, pack = await growth_with(api, addon_body("pack", billing="one_time"))
    resp = await set_quantity(api, ws, key, pack["id"], 3)
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "addon_one_time")


async def test_stop_at_the_period_end_then_undo_then_stop_now_with_a_credit(api):
    ws, key, user = await growth_with(api, EXTRA_USER, 2)
    resp = await stop(api, ws, key, user["id"])
    assert resp.status == 200, await resp.text()
    holding = (await held(api, ws, key))[user["id"]]
    assert (holding["quantity"], holding["stops_at_period_end"]) == (2, True)
    await set_quantity(api, ws, key, user["id"], 2)                # keep it after all
    assert (await held(api, ws, key))[user["id"]]["stops_at_period_end"] is False
    api.clock.set(MID)
    resp = await stop(api, ws, key, user["id"], "now")
    assert (await resp.json())["credit"]["amount"] == 49_000       # 2 × 49 000 × 1/2
    assert await held(api, ws, key) == {}
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    assert await account_credit(api, ws, key) == (49_000, [49_000])
    assert (await stop(api, ws, key, user["id"], "now")).status == 404
    await assert_reconciled(api)


async def test_an_addon_others_require_cannot_be_stopped_first(api):
    ws, key, base = await growth_with(api, addon_body("base"))
    needs = await create_addon(api, addon_body("needs", requires=[base["id"]]))
    await buy_and_pay(api, ws, key, needs["id"])
    resp = await stop(api, ws, key, base["id"])
    assert (await resp.json())["error"]["code"] == "addon_required_by"


async def test_deactivation_does_not_touch_existing_subscriptions(api):
    ws, key, user = await growth_with(api, EXTRA_USER, 2)
    resp = await api.client.post(f"/v1/admin/addons/{user['id']}/deactivate", headers=ADMIN)
    assert resp.status == 200
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 2
    assert (await check(api, ws, key, "users"))["limit"] == 7
    offered = await (await api.client.get("/v1/addons", headers=api.auth(key))).json()
    assert offered["addons"] == []
    other, other_key = await api.create_workspace(["555000111"], plan="growth")
    resp = await api.client.post(f"/v1/workspaces/{other}/subscription/addons",
                                 json={"addon_id": user["id"]}, headers=api.auth(other_key))
    assert (await resp.json())["error"]["code"] == "addon_inactive"
    resp = await api.client.delete(f"/v1/admin/addons/{user['id']}", headers=ADMIN)
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "addon_in_use")


async def test_limits_with_increment_set_and_unlimited(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")    # users 5, contacts 10 000
    await api.client.put(f"/v1/workspaces/{ws}/usage", json={"users": 5, "contacts": 10_500},
                         headers=api.auth(key))
    assert await check(api, ws, key, "users") == {"key": "users", "kind": "limit",
                                                  "allowed": False, "limit": 5, "used": 5}
    user = await create_addon(api, EXTRA_USER)
    contacts = await create_addon(api, EXTRA_CONTACTS)
    await buy_and_pay(api, ws, key, user["id"], 2)
    await buy_and_pay(api, ws, key, contacts["id"], 1)
    assert (await check(api, ws, key, "users", 2))["allowed"] is True        # 5 + 2 ≤ 7
    assert (await check(api, ws, key, "users", 3))["allowed"] is False
    sub = await subscription(api, ws, key)
    assert sub["usage"]["users"] == {"used": 5, "maximum": 7, "exceeded": False}
    assert sub["usage"]["contacts"]["maximum"] == 11_000
    assert sub["plan_limits"]["users"] == 5
    capped = await create_addon(api, addon_body("team-of-3", limits=[
        {"key": "users", "value": 3, "action": "set"}]))
    await buy_and_pay(api, ws, key, capped["id"])
    assert (await check(api, ws, key, "users"))["limit"] == 3               # set wins
    unlimited = await create_addon(api, addon_body("all-users", limits=[
        {"key": "users", "value": -1, "action": "set"}]))
    await buy_and_pay(api, ws, key, unlimited["id"])
    result = await check(api, ws, key, "users", 1000)
    assert (result["limit"], result["allowed"]) == (-1, True)


async def test_feature_entitlements(api):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    assert (await check(api, ws, key, "api_access"))["allowed"] is False
    bundle = await create_addon(api, FEATURE_BUNDLE)
    await buy_and_pay(api, ws, key, bundle["id"])
    result = await check(api, ws, key, "api_access")
    assert result == {"key": "api_access", "kind": "feature", "allowed": True, "limit": None,
                      "used": None}
    assert (await subscription(api, ws, key))["entitlements"] == ["api_access", "webhooks"]
    assert (await check(api, ws, key, "sso"))["allowed"] is False
    assert len(await invoices(api, ws, key, type="addon")) == 1


async def test_a_later_request_replaces_an_open_quantity_invoice(api):
    ws, key, user = await growth_with(api, EXTRA_USER, 2)
    api.clock.set(MID)
    up = await (await set_quantity(api, ws, key, user["id"], 5)).json()
    again = await (await set_quantity(api, ws, key, user["id"], 5)).json()
    assert again["invoice"]["code"] == up["invoice"]["code"]      # asked again: same invoice
    await set_quantity(api, ws, key, user["id"], 2)                # changed its mind
    assert [i["status"] for i in await invoices(api, ws, key, type="addon")] == [
        "cancelled", "paid"]
    await press_pay(api, up["payment"]["id"])                      # too late: nothing changes
    assert (await held(api, ws, key))[user["id"]]["quantity"] == 2
    await assert_reconciled(api)
