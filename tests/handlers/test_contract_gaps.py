"""Issue 17 §6: the contract's gaps. 405 answers name the allowed methods; a workspace key
asking for another tenant's add-on catalog gets 404, as for any other tenant's resource."""
from tests.addon_helpers import WA_CONV, create_addon
from tests.helpers import PHONE_A, PHONE_B


async def test_a_405_carries_allow(api):
    resp = await api.client.put("/v1/plans")
    assert resp.status == 405
    assert "GET" in {m.strip() for m in resp.headers["Allow"].split(",")}
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_another_tenants_addon_catalog_is_404_for_a_workspace_key(api):
    await create_addon(api, WA_CONV)
    mine, key = await api.create_workspace([PHONE_A], plan="growth")
    other, _ = await api.create_workspace([PHONE_B], plan="growth")
    resp = await api.client.get("/v1/addons", params={"workspace_id": other},
                                headers=api.auth(key))
    assert resp.status == 404, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "not_found" and error["field"] == "workspace_id"
    for own in ({}, {"workspace_id": mine}):
        resp = await api.client.get("/v1/addons", params=own, headers=api.auth(key))
        assert resp.status == 200
        assert [a["name"] for a in (await resp.json())["addons"]] == [WA_CONV["name"]]
