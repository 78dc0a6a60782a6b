"""`visibility.direct` (issue 9 item 13): an add-on hidden from the agency's direct customers
is neither listed to them nor purchasable or assignable to their workspaces, exactly as
`visibility.resellers` hides one from resellers' workspaces."""
from tests.addon_helpers import (ADMIN, addon_body, buy, create_addon, create_reseller,
                                 reseller_workspace)
from tests.helpers import PHONE_A, PHONE_B

HIDDEN = {"resellers": "all", "direct": False}


async def names(api, key: str, **params) -> list[str]:
    resp = await api.client.get("/v1/addons", params=params, headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return sorted(a["name"] for a in (await resp.json())["addons"])


async def test_an_addon_hidden_from_direct_customers_is_not_offered_to_them(api):
    await create_addon(api, addon_body("for-all"))
    await create_addon(api, addon_body("resellers-only", visibility=HIDDEN))
    direct, direct_key = await api.create_workspace([PHONE_A], plan="growth")
    _, reseller_key = await create_reseller(api)
    _, ws_key = await reseller_workspace(api, reseller_key, PHONE_B)
    assert await names(api, direct_key) == ["for-all"]
    assert await names(api, "test-admin-token", workspace_id=direct) == ["for-all"]
    assert await names(api, ws_key) == ["for-all", "resellers-only"]
    assert await names(api, reseller_key) == ["for-all", "resellers-only"]
    assert await names(api, "test-admin-token") == ["for-all", "resellers-only"]


async def test_a_hidden_addon_cannot_be_bought_or_assigned_for_a_direct_customer(api):
    hidden = await create_addon(api, addon_body("resellers-only", visibility=HIDDEN))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    for who in (key, "test-admin-token"):             # the customer, and the agency assigning
        resp = await buy(api, ws, who, hidden["id"])
        assert resp.status == 404, await resp.text()
        assert (await resp.json())["error"] == {"code": "not_found", "field": "addon_id",
                                                "message": "Add-on not found"}
    resp = await api.client.post(f"/v1/workspaces/{ws}/subscription/quote",
                                 headers=api.auth(key), json={
                                     "plan": "pro", "period": "monthly",
                                     "addons": [{"addon_id": hidden["id"], "quantity": 1}]})
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "addon_not_found"


async def test_visibility_defaults_to_direct_and_a_patch_changes_one_key(api):
    addon = await create_addon(api, addon_body("seat"))
    assert addon["visibility"] == {"resellers": "all", "direct": True}
    resp = await api.client.patch(f"/v1/admin/addons/{addon['id']}", headers=ADMIN,
                                  json={"visibility": {"direct": False}})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["visibility"] == {"resellers": "all", "direct": False}
    resp = await api.client.patch(f"/v1/admin/addons/{addon['id']}", headers=ADMIN,
                                  json={"visibility": {"resellers": "none"}})
    assert (await resp.json())["visibility"] == {"resellers": "none", "direct": False}
    resp = await api.client.post("/v1/admin/addons", headers=ADMIN,
                                 json=addon_body("bad", visibility={"direct": "no"}))
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "visibility.direct"
