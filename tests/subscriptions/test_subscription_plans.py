"""Plans as data: the public list, admin edits, the policy table, renew and usage."""
from tests.helpers import ADMIN_TOKEN, PHONE_A, status, status_payload
from tests.subscription_helpers import (invoices, pay, post, renew, run_due, subscription,
                                        wib)

GROWTH = {"name": "Growth", "rank": 1,
          "prices": {"monthly": {"amount": 349_000}, "quarterly": {"amount": 999_000},
                     "yearly": {"amount": 3_490_000}},
          "conversation_grant": {"amount": 35_000}, "grant_rolls_over": True,
          "limits": {"users": 6, "contacts": 12_000, "broadcast_quota": -1},
          "rates": {"marketing": {"amount": 600}}}


async def test_plans_are_public_with_prices_limits_and_grants(api):
    resp = await api.client.get("/v1/plans", headers={"Accept-Language": "en"})
    assert resp.status == 200
    plans = {p["id"]: p for p in (await resp.json())["plans"]}
    assert list(plans) == ["free", "growth", "pro"]
    assert plans["free"]["prices"]["yearly"]["amount"] == 0
    assert plans["growth"]["prices"]["monthly"] == {"amount": 299_000, "currency": "IDR",
                                                    "formatted": "IDR 299,000"}
    assert [plans[p]["conversation_grant"]["amount"] for p in plans] == [15_000, 30_000, 60_000]
    assert plans["pro"]["limits"] == {"users": 15, "contacts": 50_000, "broadcast_quota": 25_000}


async def test_admin_edits_a_plan_and_quotes_and_rates_follow(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.put("/v1/admin/plans/growth", json=GROWTH,
                                headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200, await resp.text()
    plan = await (await api.client.get("/v1/admin/plans/growth",
                                       headers=api.auth(ADMIN_TOKEN))).json()
    assert plan["grant_rolls_over"] is True and plan["limits"]["broadcast_quota"] == -1
    quote = await (await post(api, ws, key, "quote", {"plan": "growth",
                                                      "period": "monthly"})).json()
    assert quote["total"]["amount"] == 349_000
    placed = await (await post(api, ws, key, "change", {"plan": "growth",
                                                        "period": "monthly"})).json()
    await pay(api, placed)
    await run_due(api, wib(2026, 12, 21, 10))
    wallet = await api.wallet(ws, key)
    assert wallet["broadcast"]["rate"]["amount"] == 600          # the new plan's rate card
    assert wallet["conversation"]["granted"]["amount"] == 35_000


async def test_free_must_stay_free(api):
    body = {**GROWTH, "name": "Free", "rank": 0}
    resp = await api.client.put("/v1/admin/plans/free", json=body, headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "free_plan_must_be_free"


async def test_policy_table_round_trips(api):
    rules = [{"timing": "immediate", "from_plan": "growth", "to_plan": "pro",
              "from_period": "*", "to_period": "*", "direction": "upgrade"}]
    resp = await api.client.put("/v1/admin/billing-policy", json={"rules": rules},
                                headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200
    body = await (await api.client.get("/v1/admin/billing-policy",
                                       headers=api.auth(ADMIN_TOKEN))).json()
    assert body == {"rules": rules, "default": "end_of_term"}


async def test_renew_invoices_the_next_period_once(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    first = await renew(api, ws, key)
    assert (first["invoice"]["type"], first["invoice"]["amount"]["amount"]) == ("renewal", 299_000)
    again = await renew(api, ws, key)
    assert again["invoice"]["code"] == first["invoice"]["code"]
    await pay(api, first)
    resp = await post(api, ws, key, "renew")
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "already_renewed")
    assert (await subscription(api, ws, key))["next_period_paid"] is True
    await run_due(api, wib(2026, 12, 21, 10))
    sub = await subscription(api, ws, key)
    assert sub["current_period"]["start"].startswith("2026-12-21T03:00:00")
    assert [i["type"] for i in await invoices(api, ws, key)] == ["renewal"]


async def test_usage_counts_reported_users_and_this_periods_broadcasts(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    resp = await api.client.put(f"/v1/workspaces/{ws}/usage", json={"users": 3, "contacts": 99},
                                headers=api.auth(key))
    assert resp.status == 200
    for n in range(2):
        await api.webhook(status_payload(PHONE_A, [status(f"wamid.b{n}", "delivered",
                                                          "marketing")]))
    await api.webhook(status_payload(PHONE_A, [status("wamid.r", "delivered", "service")]))
    usage = (await subscription(api, ws, key))["usage"]
    assert usage["users"] == {"used": 3, "maximum": 5, "exceeded": False}
    assert usage["contacts"]["used"] == 99
    assert usage["broadcast_quota"] == {"used": 2, "maximum": 5_000, "exceeded": False}


async def test_subscription_routes_are_in_openapi(api):
    paths = (await (await api.client.get("/openapi.json")).json())["paths"]
    for path in ["/v1/plans", "/v1/admin/plans/{id}", "/v1/admin/billing-policy",
                 "/v1/workspaces/{ws}/subscription", "/v1/workspaces/{ws}/subscription/quote",
                 "/v1/workspaces/{ws}/subscription/change",
                 "/v1/workspaces/{ws}/subscription/renew",
                 "/v1/workspaces/{ws}/subscription/cancel",
                 "/v1/workspaces/{ws}/subscription/scheduled-change",
                 "/v1/workspaces/{ws}/usage"]:
        assert path in paths, path
