"""Order previews (issue 11 item 1): one shape for every order, and the order then answers
with exactly the lines and totals its preview showed."""
from datetime import timedelta

from tests.addon_helpers import EXTRA_USER, addon_body, buy_and_pay, create_addon
from tests.helpers import PHONE_A
from tests.previews.preview_helpers import order, preview, same
from tests.subscription_helpers import IMMEDIATE_UPGRADES, set_policy


async def test_a_renewal_can_be_previewed_and_is_invoiced_as_previewed(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    p = await preview(api, ws, key, "renewal")
    assert p["kind"] == "renewal" and p["takes_effect"] == "period_end"
    assert [(t["amount"], t["currency"]) for t in p["totals"]] == [(299_000, "IDR")]
    assert p["lines"][0]["covers"]["start"].startswith("2026-12-21T03:00:00")
    assert p["credits_applied"] == [] and p["tax"] is None
    same(p, await order(api, ws, key, "renewal"))


async def test_an_addon_purchase_alone_is_previewed_prorated_and_invoiced_as_previewed(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, EXTRA_USER)
    api.clock.advance(timedelta(days=10, hours=5))
    p = await preview(api, ws, key, "addon_purchase", addon_id=seat["id"], quantity=2)
    line, = p["lines"]
    assert (line["kind"], line["addon_id"], line["proration"]["basis"]) == (
        "addon", seat["id"], "time")
    prorated = line["proration"]["numerator"] / line["proration"]["denominator"]
    assert 0 < prorated < 1
    assert p["totals"][0]["amount"] == round(98_000 * prorated)
    same(p, await order(api, ws, key, "addon_purchase", addon_id=seat["id"], quantity=2))


async def test_plan_change_quantity_stop_and_topup_orders_are_what_they_previewed(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, seat["id"], 3)
    api.clock.advance(timedelta(days=4, hours=7))
    for kind, fields in [("addon_quantity", {"addon_id": seat["id"], "quantity": 1}),
                         ("addon_quantity", {"addon_id": seat["id"], "quantity": 4}),
                         ("topup", {"balance": "broadcast", "amount": 75_000}),
                         ("plan_change", {"plan": "pro", "period": "monthly",
                                          "addons": [{"addon_id": seat["id"],
                                                      "quantity": 2}]})]:
        p = await preview(api, ws, key, kind, **fields)
        same(p, await order(api, ws, key, kind, **fields))
    p = await preview(api, ws, key, "addon_stop", addon_id=seat["id"])
    assert p["lines"][0]["amount"]["amount"] < 0 and p["takes_effect"] == "now"
    same(p, await order(api, ws, key, "addon_stop", addon_id=seat["id"]))


async def test_an_immediate_upgrade_is_previewed_by_days_and_invoiced_as_previewed(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await set_policy(api, IMMEDIATE_UPGRADES)
    api.clock.advance(timedelta(days=9))
    p = await preview(api, ws, key, "plan_change", plan="pro", period="monthly")
    proration = p["lines"][0]["proration"]
    assert (p["takes_effect"], proration["basis"]) == ("when_paid", "days")
    assert (proration["numerator"], proration["denominator"]) == (21, 30)
    same(p, await order(api, ws, key, "plan_change", plan="pro", period="monthly"))


async def test_a_downgrade_preview_names_the_limits_that_shrink(api):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    await api.client.put(f"/v1/workspaces/{ws}/usage", json={"users": 9, "contacts": 20},
                         headers=api.auth(key))
    p = await preview(api, ws, key, "plan_change", plan="growth", period="monthly")
    assert "users" in [s["limit"] for s in p["shrinking_limits"]]
    assert p["takes_effect"] == "period_end"


async def test_a_usd_addon_preview_totals_in_its_own_currency(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, addon_body("usd-seat", periods={"monthly": {
        "currency": "USD", "amount": 14_400}}))
    p = await preview(api, ws, key, "plan_change", plan="pro", period="monthly",
                      addons=[{"addon_id": seat["id"], "quantity": 1}])
    assert [t["currency"] for t in p["totals"]] == ["IDR", "USD"]
    same(p, await order(api, ws, key, "plan_change", plan="pro", period="monthly",
                        addons=[{"addon_id": seat["id"], "quantity": 1}]))
