"""A plan change with add-ons held (issue 9 item 9): the downgrade notice compares the effective
limits (plan plus the add-ons that stay) before and after, and every add-on removed at the
switch comes with its true reason."""
from tests.addon_helpers import EXTRA_USER, addon_body, buy_and_pay, create_addon
from tests.helpers import PHONE_A
from tests.subscription_helpers import post, subscription

MONTHLY_ONLY_USER = addon_body("monthly-user", limits=[
    {"key": "users", "value": 1, "action": "increment"}])


async def report_users(api, ws: str, key: str, users: int) -> None:
    resp = await api.client.put(f"/v1/workspaces/{ws}/usage",
                                json={"users": users, "contacts": 20}, headers=api.auth(key))
    assert resp.status == 200, await resp.text()


async def quote(api, ws: str, key: str, body: dict) -> dict:
    resp = await post(api, ws, key, "quote", body)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def shrinking(q: dict) -> dict:
    return {s["limit"]: s for s in q["shrinking_limits"]}


async def test_downgrade_notice_compares_the_effective_limits_with_the_addons_that_stay(api):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 14)
    await report_users(api, ws, key, 9)
    assert (await subscription(api, ws, key))["usage"]["users"]["maximum"] == 29
    body = {"plan": "growth", "period": "monthly",
            "addons": [{"addon_id": user["id"], "quantity": 2}]}
    q = await quote(api, ws, key, body)
    assert shrinking(q)["users"] == {"limit": "users", "used": 9, "current_maximum": 29,
                                     "new_maximum": 7, "exceeded": True}
    assert shrinking(q)["contacts"]["current_maximum"] == 50_000
    assert shrinking(q)["contacts"]["new_maximum"] == 10_000
    assert q["removed_addons"] == []
    placed = await (await post(api, ws, key, "change", body)).json()
    assert shrinking(placed["quote"])["users"]["new_maximum"] == 7


async def test_an_addon_kept_whole_shrinks_nothing_it_gives(api):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 10)
    await report_users(api, ws, key, 20)
    q = await quote(api, ws, key, {"plan": "growth", "period": "monthly", "addons": []})
    assert (shrinking(q)["users"]["current_maximum"], shrinking(q)["users"]["new_maximum"],
            shrinking(q)["users"]["exceeded"]) == (25, 15, True)


async def test_switching_to_yearly_lists_the_limit_monthly_only_addons_took_with_them(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    monthly = await create_addon(api, MONTHLY_ONLY_USER)
    await buy_and_pay(api, ws, key, monthly["id"], 2)
    await report_users(api, ws, key, 6)
    q = await quote(api, ws, key, {"plan": "growth", "period": "yearly", "addons": []})
    assert q["removed_addons"] == [{"addon_id": monthly["id"], "quantity": 2,
                                    "reason": "period_not_available"}]
    assert shrinking(q)["users"] == {"limit": "users", "used": 6, "current_maximum": 7,
                                     "new_maximum": 5, "exceeded": True}


async def test_each_removed_addon_says_whether_the_plan_or_the_period_removes_it(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    growth_only = await create_addon(api, addon_body("growth-seat", applicable_plans=["growth"],
                                                     periods={
                                                         "monthly": {"currency": "IDR",
                                                                     "amount": 10_000},
                                                         "yearly": {"currency": "IDR",
                                                                    "amount": 100_000}}))
    monthly = await create_addon(api, MONTHLY_ONLY_USER)
    await buy_and_pay(api, ws, key, growth_only["id"])
    await buy_and_pay(api, ws, key, monthly["id"], 2)
    q = await quote(api, ws, key, {"plan": "pro", "period": "yearly", "addons": []})
    assert sorted((r["addon_id"], r["reason"]) for r in q["removed_addons"]) == sorted([
        (growth_only["id"], "not_applicable"), (monthly["id"], "period_not_available")])
    resp = await post(api, ws, key, "quote", {"plan": "growth", "period": "yearly", "addons": [
        {"addon_id": monthly["id"], "quantity": 2}]})
    error = (await resp.json())["error"]
    assert (resp.status, error["code"], error["field"]) == (
        422, "addon_period_not_available", "addons.0.addon_id")


async def test_a_one_time_addon_in_a_plan_change_is_409_addon_one_time_like_everywhere(api):
    """`addon_one_time` has one status (issue 10 item 5): 409, as when changing its quantity."""
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    pack = await create_addon(api, addon_body("pack", billing="one_time"))
    resp = await post(api, ws, key, "quote", {"plan": "pro", "period": "monthly", "addons": [
        {"addon_id": pack["id"], "quantity": 1}]})
    error = (await resp.json())["error"]
    assert (resp.status, error["code"], error["field"]) == (
        409, "addon_one_time", "addons.0.addon_id")
