"""What the order screens need from the API (issue 11 item 6, parts): top-up limits, an add-on
purchase's own metadata, the agency's add-ons by plan."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from service.runtime.app import create_app
from tests.addon_helpers import (ADMIN, EXTRA_USER, FEATURE_BUNDLE, WA_CONV, addons_url, buy,
                                 create_addon)
from tests.helpers import PHONE_A, PHONE_B, Api, app_services


async def test_topup_limits_are_those_the_order_checks(aiohttp_client, settings, clock):
    custom = dataclasses.replace(settings, topup_conversation_min=20_000,
                                 topup_broadcast_max=2_000_000)
    api = Api(await aiohttp_client(create_app(custom, clock=clock, background=False)), clock)
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.get(f"/v1/workspaces/{ws}/topups/limits",
                                headers={**api.auth(key), "Accept-Language": "en"})
    assert resp.status == 200
    limits = (await resp.json())["limits"]
    assert {b: (x["minimum"]["amount"], x["maximum"]["amount"]) for b, x in limits.items()} == {
        "conversation": (20_000, 1_000_000), "broadcast": (10_000, 2_000_000)}
    assert limits["conversation"]["minimum"]["formatted"] == "IDR 20,000"
    below = await api.client.post(f"/v1/workspaces/{ws}/topups", headers=api.auth(key),
                                  json={"balance": "conversation", "amount": 19_999})
    assert (await below.json())["error"]["code"] == "topup_below_minimum"
    other_ws, other_key = await api.create_workspace([PHONE_B])
    assert (await api.client.get(f"/v1/workspaces/{ws}/topups/limits",
                                 headers=api.auth(other_key))).status == 404


async def test_an_addon_purchase_keeps_its_metadata_and_shows_it_back(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = await create_addon(api, EXTRA_USER)
    metadata = {"po_number": "PO-2026-118", "seats_for": "tim CS", "approved": True, "n": 3}
    resp = await api.client.post(addons_url(ws), headers=api.auth(key), json={
        "addon_id": addon["id"], "quantity": 2, "metadata": metadata})
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["metadata"] == metadata and body["order_id"]
    stored = await app_services(api).db.addon_orders.find_one({"_id": body["order_id"]})
    assert stored["metadata"] == metadata
    plain = await (await buy(api, ws, key, (await create_addon(api, WA_CONV))["id"])).json()
    assert plain["metadata"] == {}


async def test_addon_metadata_is_small_and_flat(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = await create_addon(api, EXTRA_USER)
    for metadata in ({"nested": {"a": 1}}, {f"k{i}": "v" for i in range(21)},
                     {f"k{i}": "x" * 400 for i in range(6)}, {"bad key": 1}, ["a"]):
        resp = await api.client.post(addons_url(ws), headers=api.auth(key), json={
            "addon_id": addon["id"], "metadata": metadata})
        error = (await resp.json())["error"]
        assert (resp.status, error["field"].split(".")[0]) == (422, "metadata"), metadata
    assert await app_services(api).db.addon_orders.find_one({}) is None


async def test_the_agency_lists_the_addons_of_a_plan(api):
    everywhere = await create_addon(api, EXTRA_USER)                 # "all"
    api.clock.advance(timedelta(seconds=1))                         # (newest first)
    growth_and_pro = await create_addon(api, WA_CONV)                # ["growth", "pro"]
    api.clock.advance(timedelta(seconds=1))
    pro_only = await create_addon(api, FEATURE_BUNDLE)               # ["pro"]

    async def listed(**params) -> list[str]:
        resp = await api.client.get("/v1/admin/addons", params=params, headers=ADMIN)
        assert resp.status == 200, await resp.text()
        return [a["id"] for a in (await resp.json())["addons"]]

    assert await listed(plan="growth") == [growth_and_pro["id"], everywhere["id"]]
    assert await listed(plan="pro") == [pro_only["id"], growth_and_pro["id"], everywhere["id"]]
    assert await listed(plan="free") == [everywhere["id"]]
    assert await listed(plan="pro", q="developer") == [pro_only["id"]]
    assert await listed(plan="growth", limit="1") == [growth_and_pro["id"]]
    resp = await api.client.get("/v1/admin/addons", params={"plan": "platinum"}, headers=ADMIN)
    error = (await resp.json())["error"]
    assert (resp.status, error["code"], error["field"]) == (404, "plan_not_found", "plan")
    ws, key = await api.create_workspace([PHONE_A])
    assert (await api.client.get("/v1/admin/addons", params={"plan": "growth"},
                                 headers=api.auth(key))).status == 404
