"""Bad input on the subscription API: clear errors (422 with field, 404, 409), nothing changed."""
import pytest

from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B
from tests.subscription_helpers import invoices, post, subscription

GOOD = {"plan": "pro", "period": "monthly", "addons": []}


@pytest.mark.parametrize("action", ["quote", "change"])
@pytest.mark.parametrize("body, status, code, field", [
    ({**GOOD, "plan": "gold"}, 404, "plan_not_found", "plan"),
    ({**GOOD, "period": "weekly"}, 422, "period_not_found", "period"),
    ({**GOOD, "plan": "growth"}, 409, "plan_unchanged", "plan"),
    ({**GOOD, "addons": [{"addon_id": "a1", "quantity": 0}]}, 422, "validation_error",
     "addons.0.quantity"),
    ({**GOOD, "addons": [{"addon_id": "a1", "quantity": 10_001}]}, 422, "validation_error",
     "addons.0.quantity"),
    ({**GOOD, "addons": [{"addon_id": "a1", "quantity": 2}]}, 422, "addon_not_found",
     "addons.0.addon_id"),
    ({**GOOD, "addons": [{"addon_id": "a1", "quantity": "2"}]}, 422, "validation_error",
     "addons.0.quantity"),
    ({**GOOD, "extra": 1}, 422, "validation_error", "extra"),
    ({"period": "monthly"}, 422, "validation_error", "plan"),
])
async def test_bad_change_request_is_refused_and_changes_nothing(api, action, body, status,
                                                                 code, field):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    before = await subscription(api, ws, key)
    resp = await post(api, ws, key, action, body)
    assert resp.status == status, await resp.text()
    error = (await resp.json())["error"]
    assert (error["code"], error.get("field")) == (code, field)
    assert await subscription(api, ws, key) == before
    assert await invoices(api, ws, key) == []


async def test_change_to_the_current_plan_from_free_is_refused(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await post(api, ws, key, "cancel")
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "plan_unchanged"
    resp = await post(api, ws, key, "renew")
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "nothing_to_renew"


async def test_another_workspaces_subscription_is_not_found(api):
    ws_a, key_a = await api.create_workspace([PHONE_A], plan="growth")
    ws_b, key_b = await api.create_workspace([PHONE_B])
    before = await subscription(api, ws_a, key_a)
    for method, path, body in [
            ("GET", "", None), ("POST", "/quote", GOOD), ("POST", "/change", GOOD),
            ("POST", "/renew", None), ("POST", "/cancel", None),
            ("DELETE", "/scheduled-change", None)]:
        resp = await api.client.request(method, f"/v1/workspaces/{ws_a}/subscription{path}",
                                        json=body, headers=api.auth(key_b))
        assert resp.status == 404, (path, await resp.text())
        assert (await resp.json())["error"]["code"] == "not_found"
    resp = await api.client.put(f"/v1/workspaces/{ws_a}/usage", json={"users": 1, "contacts": 1},
                                headers=api.auth(key_b))
    assert resp.status == 404
    assert await subscription(api, ws_a, key_a) == before
    assert await invoices(api, ws_a, key_a) == []


async def test_missing_key_is_401(api):
    ws, _ = await api.create_workspace([PHONE_A])
    resp = await api.client.get(f"/v1/workspaces/{ws}/subscription")
    assert resp.status == 401


@pytest.mark.parametrize("body, field", [
    ({"users": -1, "contacts": 1}, "users"),
    ({"users": 1}, "contacts"),
    ({"users": 1.5, "contacts": 1}, "users"),
])
async def test_bad_usage_report_is_refused(api, body, field):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.put(f"/v1/workspaces/{ws}/usage", json=body, headers=api.auth(key))
    assert resp.status == 422
    assert (await resp.json())["error"]["field"] == field
    assert (await subscription(api, ws, key))["usage"]["users"]["used"] == 0


async def test_admin_only_plan_and_policy_endpoints_hide_from_others(api):
    _, key = await api.create_workspace([PHONE_A])
    for method, path in [("GET", "/v1/admin/plans/growth"), ("PUT", "/v1/admin/plans/growth"),
                         ("GET", "/v1/admin/billing-policy"),
                         ("PUT", "/v1/admin/billing-policy")]:
        resp = await api.client.request(method, path, json={"rules": []}, headers=api.auth(key))
        assert resp.status == 404, path
    resp = await api.client.get("/v1/admin/plans/gold", headers=api.auth(ADMIN_TOKEN))
    assert (resp.status, (await resp.json())["error"]["code"]) == (404, "plan_not_found")
