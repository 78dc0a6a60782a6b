"""Creating workspaces: phone numbers belong to one workspace, and a crashed creation does not
block its numbers forever."""
from datetime import timedelta

from service.mongo.docs import to_ms
from service.runtime.context import SERVICES
from tests.helpers import ADMIN_TOKEN, Api


async def _orphan_claim(app, phone: str, at) -> None:
    """What a creation killed after claiming its numbers leaves behind."""
    await app[SERVICES].db.phone_numbers.insert_one(
        {"_id": phone, "workspace_id": "ws_never_written", "claimed_ms": to_ms(at)})


async def _create(api: Api, phone: str):
    return await api.client.post("/v1/workspaces", headers=api.auth(ADMIN_TOKEN),
                                 json={"name": "Toko", "phone_number_ids": [phone]})


async def test_a_fresh_claim_of_a_creation_in_progress_is_respected(aiohttp_client, make_app,
                                                                   clock):
    app = make_app()
    api = Api(await aiohttp_client(app), clock)
    await _orphan_claim(app, "6281", clock.now())
    resp = await _create(api, "6281")
    assert resp.status == 409
    assert (await resp.json())["error"]["details"] == {"phone_number_ids": ["6281"]}


async def test_numbers_left_by_a_crashed_creation_are_taken_over_after_a_minute(
        aiohttp_client, make_app, clock):
    app = make_app()
    api = Api(await aiohttp_client(app), clock)
    await _orphan_claim(app, "6282", clock.now())
    clock.advance(timedelta(minutes=2))
    resp = await _create(api, "6282")
    assert resp.status == 201
    ws = (await resp.json())["workspace"]["id"]
    claim = await app[SERVICES].db.phone_numbers.find_one({"_id": "6282"})
    assert claim["workspace_id"] == ws


async def test_a_conflict_releases_only_the_numbers_this_request_claimed(aiohttp_client,
                                                                        make_app, clock):
    app = make_app()
    api = Api(await aiohttp_client(app), clock)
    first, key = await api.create_workspace(["6283", "6284"])
    other, _ = await api.create_workspace(["6285"])
    resp = await api.client.patch(f"/v1/workspaces/{first}", headers=api.auth(ADMIN_TOKEN),
                                  json={"phone_number_ids": ["6283", "6284", "6285", "6286"]})
    assert resp.status == 409
    owners = {d["_id"]: d["workspace_id"] async for d in app[SERVICES].db.phone_numbers.find({})}
    assert owners == {"6283": first, "6284": first, "6285": other}
