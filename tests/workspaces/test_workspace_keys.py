"""A lost or leaked workspace key: the agency (or the workspace's reseller) issues a new one, and
every earlier key of the workspace stops working at once."""
from tests.addon_helpers import create_reseller, reseller_workspace
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B


async def _replace(api, ws: str, key: str):
    return await api.client.post(f"/v1/workspaces/{ws}/api-key", headers=api.auth(key))


async def _wallet_status(api, ws: str, key: str) -> int:
    return (await api.client.get(f"/v1/workspaces/{ws}/wallet", headers=api.auth(key))).status


async def test_the_agency_replaces_a_lost_key_and_the_old_one_stops_working(api):
    ws, old = await api.create_workspace([PHONE_A])
    resp = await _replace(api, ws, ADMIN_TOKEN)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["api_key"].startswith("sk_ws_") and body["revoked_keys"] == 1
    assert await _wallet_status(api, ws, body["api_key"]) == 200
    assert await _wallet_status(api, ws, old) == 401

    again = await (await _replace(api, ws, ADMIN_TOKEN)).json()
    assert again["revoked_keys"] == 1
    assert await _wallet_status(api, ws, body["api_key"]) == 401
    assert await _wallet_status(api, ws, again["api_key"]) == 200


async def test_a_reseller_replaces_its_customers_key_only(api):
    _, mine = await create_reseller(api, "Mitra Jaya")
    _, other = await create_reseller(api, "Mitra Lain")
    ws, old = await reseller_workspace(api, mine, PHONE_A)
    assert (await _replace(api, ws, other)).status == 404
    assert await _wallet_status(api, ws, old) == 200
    resp = await _replace(api, ws, mine)
    assert resp.status == 201
    assert await _wallet_status(api, ws, (await resp.json())["api_key"]) == 200
    assert await _wallet_status(api, ws, old) == 401


async def test_a_workspace_key_cannot_replace_keys(api):
    """Else a leaked key could lock its owner out; the owner asks the agency instead."""
    ws, key = await api.create_workspace([PHONE_A])
    other_ws, other_key = await api.create_workspace([PHONE_B])
    assert (await _replace(api, ws, key)).status == 404
    assert (await _replace(api, ws, other_key)).status == 404
    assert await _wallet_status(api, ws, key) == 200
    assert await _wallet_status(api, other_ws, other_key) == 200
