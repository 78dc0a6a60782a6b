"""Plan ids (issue 9 item 15): any plan the admin created can be given to a new workspace, and
an unknown plan is `plan_not_found` everywhere, a 404 (issue 10 item 5): whether the plan is the
path's resource or a field of the body (then with that `field`)."""
from tests.addon_helpers import addon_body
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B

# Priced at zero, so that the test does not depend on how a paid first period is invoiced
NONPROFIT = {"name": "Nonprofit", "rank": 0,
             "prices": {"monthly": {"amount": 0}},
             "conversation_grant": {"amount": 20_000},
             "limits": {"users": 3, "contacts": 2_000, "broadcast_quota": 0}}


async def _error(resp) -> tuple[int, str, str | None]:
    error = (await resp.json())["error"]
    return resp.status, error["code"], error.get("field")


async def test_a_workspace_can_be_created_on_a_plan_the_admin_created(api):
    admin = api.auth(ADMIN_TOKEN)
    resp = await api.client.put("/v1/admin/plans/nonprofit", json=NONPROFIT, headers=admin)
    assert resp.status == 200, await resp.text()
    ws, key = await api.create_workspace([PHONE_A], plan="nonprofit", complimentary=False)
    body = await (await api.client.get(f"/v1/workspaces/{ws}", headers=admin)).json()
    assert body["plan"] == "nonprofit"
    sub = await (await api.client.get(f"/v1/workspaces/{ws}/subscription",
                                      headers=api.auth(key))).json()
    assert sub["plan"] == "nonprofit"
    assert (await api.amounts(ws, key))["conversation"] == (20_000, 0, 0)


async def test_an_unknown_plan_in_a_body_is_404_plan_not_found_on_its_field(api):
    admin = api.auth(ADMIN_TOKEN)
    resp = await api.client.post("/v1/workspaces", headers=admin, json={
        "name": "Toko", "phone_number_ids": [PHONE_A], "plan": "gold"})
    assert await _error(resp) == (404, "plan_not_found", "plan")
    assert "free, growth, pro" in (await resp.json())["error"]["message"]
    ws, key = await api.create_workspace([PHONE_B])
    resp = await api.client.post(f"/v1/workspaces/{ws}/subscription/quote",
                                 headers=api.auth(key), json={"plan": "gold",
                                                              "period": "monthly"})
    assert await _error(resp) == (404, "plan_not_found", "plan")
    resp = await api.client.post("/v1/admin/addons", headers=admin,
                                 json=addon_body("x", applicable_plans=["gold"]))
    assert await _error(resp) == (404, "plan_not_found", "applicable_plans")


async def test_an_unknown_plan_in_the_path_is_404_plan_not_found(api):
    resp = await api.client.get("/v1/admin/plans/gold", headers=api.auth(ADMIN_TOKEN))
    assert await _error(resp) == (404, "plan_not_found", None)
