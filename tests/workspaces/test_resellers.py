"""Resellers: created by the agency with a key, they see and manage only their own workspaces
and the add-ons visible to them; never another reseller's (404, like something missing)."""
from service.workspaces.workspaces import hash_key
from tests.addon_helpers import (ADMIN, addon_body, addons_url, buy, create_addon,
                                 create_reseller, reseller_workspace)
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, PHONE_C, app_services


async def workspace_ids(api, key: str) -> list[str]:
    resp = await api.client.get("/v1/workspaces", headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return sorted(w["id"] for w in (await resp.json())["workspaces"])


async def offered(api, key: str, **params) -> list[str]:
    resp = await api.client.get("/v1/addons", params=params, headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return sorted(a["name"] for a in (await resp.json())["addons"])


async def test_a_reseller_gets_a_key_shown_once_and_stored_hashed(api):
    reseller_id, key = await create_reseller(api, "Mitra Jaya")
    assert reseller_id.startswith("rs_") and key.startswith("sk_rs_")
    db = app_services(api).db
    stored = await db.api_keys.find_one({"_id": hash_key(key)})
    assert stored["role"] == "reseller" and stored["reseller_id"] == reseller_id
    assert await db.api_keys.find_one({"_id": key}) is None
    resp = await api.client.get("/v1/admin/resellers", headers=ADMIN)
    assert [r["name"] for r in (await resp.json())["resellers"]] == ["Mitra Jaya"]
    assert (await api.client.get("/v1/admin/resellers", headers=api.auth(key))).status == 404


async def test_resellers_list_and_create_only_their_own_workspaces(api):
    _, key_a = await create_reseller(api, "A")
    rs_b, key_b = await create_reseller(api, "B")
    ws_a, _ = await reseller_workspace(api, key_a, PHONE_A)
    ws_b, ws_b_key = await reseller_workspace(api, key_b, PHONE_B)
    direct, _ = await api.create_workspace([PHONE_C])
    assert await workspace_ids(api, key_a) == [ws_a]
    assert await workspace_ids(api, key_b) == [ws_b]
    assert await workspace_ids(api, ADMIN_TOKEN) == sorted([ws_a, ws_b, direct])
    resp = await api.client.get(f"/v1/workspaces/{ws_b}", headers=api.auth(key_b))
    assert (await resp.json())["reseller_id"] == rs_b
    for ws in (ws_b, direct):
        resp = await api.client.get(f"/v1/workspaces/{ws}", headers=api.auth(key_a))
        assert resp.status == 404
    assert (await api.client.get("/v1/workspaces", headers=api.auth(ws_b_key))).status == 404


async def test_visibility_per_reseller(api):
    rs_a, key_a = await create_reseller(api, "A")
    _, key_b = await create_reseller(api, "B")
    await create_addon(api, addon_body("for-all"))
    await create_addon(api, addon_body("for-a", visibility={"resellers": [rs_a]}))
    await create_addon(api, addon_body("for-none", visibility={"resellers": "none"}))
    await create_addon(api, addon_body("retired", status="inactive"))
    assert await offered(api, key_a) == ["for-a", "for-all"]
    assert await offered(api, key_b) == ["for-all"]
    direct, direct_key = await api.create_workspace([PHONE_C])
    assert await offered(api, direct_key) == ["for-a", "for-all", "for-none"]
    ws_b, ws_b_key = await reseller_workspace(api, key_b, PHONE_B)
    assert await offered(api, ws_b_key) == ["for-all"]
    assert await offered(api, key_b, workspace_id=ws_b) == ["for-all"]
    resp = await api.client.get("/v1/addons", params={"workspace_id": ws_b},
                                headers=api.auth(key_a))
    assert resp.status == 404


async def test_a_reseller_cannot_assign_hidden_addons_or_reach_other_workspaces(api):
    rs_a, key_a = await create_reseller(api, "A")
    _, key_b = await create_reseller(api, "B")
    only_a = await create_addon(api, addon_body("for-a", visibility={"resellers": [rs_a]}))
    shared = await create_addon(api, addon_body("shared"))
    ws_a, _ = await reseller_workspace(api, key_a, PHONE_A)
    ws_b, ws_b_key = await reseller_workspace(api, key_b, PHONE_B)
    resp = await buy(api, ws_a, key_a, only_a["id"])            # A assigns to its own: fine
    assert resp.status == 201, await resp.text()
    for ws, key, addon_id in [(ws_b, key_b, only_a["id"]),      # B: A's add-on is hidden
                              (ws_b, ws_b_key, only_a["id"]),   # … from B's customers too
                              (ws_a, key_b, shared["id"])]:     # B: A's workspace
        resp = await buy(api, ws, key, addon_id)
        assert resp.status == 404, await resp.text()
        assert (await resp.json())["error"]["code"] == "not_found"
    resp = await api.client.delete(addons_url(ws_a, only_a["id"]), headers=api.auth(key_b))
    assert resp.status == 404
