"""The agency's add-on catalog over HTTP: create, validation (422 with the field), search and
filters with cursor pagination, edit, (de)activate, delete, events."""
from datetime import timedelta

import pytest

from service.mongo.events import events_of
from tests.addon_helpers import (ADMIN, EXTRA_USER, FEATURE_BUNDLE, WA_CONV, addon_body,
                                 create_addon, create_reseller)
from tests.helpers import PHONE_A, app_services

URL = "/v1/admin/addons"


async def test_create_returns_the_addon_with_id_and_times(api):
    created = await create_addon(api, WA_CONV)
    assert created["id"].startswith("ad_")
    assert created["created_at"] == created["updated_at"]
    assert {k: created[k] for k in WA_CONV} == {**WA_CONV}
    resp = await api.client.get(f"{URL}/{created['id']}", headers=ADMIN)
    assert (await resp.json()) == created
    bundle = await create_addon(api, FEATURE_BUNDLE)
    assert bundle["entitlements"] == ["api_access", "webhooks"]
    user = await create_addon(api, {k: v for k, v in EXTRA_USER.items() if k != "limits"})
    assert user["limits"] == [{"key": "users", "value": 1, "action": "increment"}]


async def test_currency_defaults_to_usd(api):
    created = await create_addon(api, addon_body("usd-thing", periods={"monthly": {
        "amount": 500}}))
    assert created["periods"]["monthly"]["currency"] == "USD"


@pytest.mark.parametrize("changes, field", [
    ({"applicable_plans": []}, "applicable_plans"),
    ({"periods": {"monthly": None, "yearly": {"currency": "IDR", "amount": 1}}},
     "periods.monthly"),
    ({"periods": {"monthly": {"currency": "IDR"}}}, "periods.monthly"),
    ({"periods": {"weekly": {"currency": "IDR", "amount": 1}}}, "periods.weekly"),
    ({"periods": {"monthly": {"currency": "IDR", "amount": -5}}}, "periods.monthly.amount"),
    ({"pricing_scheme": "tier", "periods": {"monthly": {"currency": "USD", "brackets": [
        {"from": 1, "to": 5, "amount": 100}, {"from": 7, "to": None, "amount": 90}]}}},
     "periods.monthly.brackets"),
    ({"pricing_scheme": "volume", "periods": {"monthly": {"currency": "USD", "brackets": [
        {"from": 1, "to": 5, "amount": 100}, {"from": 5, "to": None, "amount": 90}]}}},
     "periods.monthly.brackets"),
    ({"max_quantity": 0}, "max_quantity"),
    ({"type": "feature", "entitlements": []}, "entitlements"),
    ({"requires": ["ad_0000"]}, "requires.0"),
    ({"visibility": {"resellers": ["rs_0000"]}}, "visibility.resellers"),
    ({"metadata": {"$where": 1}}, "metadata.$where.[key]"),
    ({"surprise": True}, "surprise"),
])
async def test_invalid_addons_are_422_with_the_field(api, changes, field):
    resp = await api.client.post(URL, json=addon_body("bad", **changes), headers=ADMIN)
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert error["field"] == field, error


async def test_an_unknown_applicable_plan_is_404_plan_not_found_with_the_field(api):
    resp = await api.client.post(URL, json=addon_body("bad", applicable_plans=["platinum"]),
                                 headers=ADMIN)
    assert resp.status == 404, await resp.text()
    error = (await resp.json())["error"]
    assert (error["code"], error["field"]) == ("plan_not_found", "applicable_plans")


async def test_names_are_unique(api):
    await create_addon(api, addon_body("one"))
    resp = await api.client.post(URL, json=addon_body("one"), headers=ADMIN)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "addon_name_taken"


async def test_search_filters_and_cursor_pagination(api, clock):
    ids = {}
    for name, extra in [("extra-user", {"display_name": "Additional User"}),
                        ("wa-pack", {"display_name": "WhatsApp pack", "billing": "one_time"}),
                        ("contacts", {"display_name": "More contacts", "status": "inactive"})]:
        ids[name] = (await create_addon(api, addon_body(name, **extra)))["id"]
        clock.advance(timedelta(seconds=1))

    async def names(**params) -> list[str]:
        resp = await api.client.get(URL, params=params, headers=ADMIN)
        assert resp.status == 200, await resp.text()
        return [a["name"] for a in (await resp.json())["addons"]]
    assert await names() == ["contacts", "wa-pack", "extra-user"]          # newest first
    assert await names(q="USER") == ["extra-user"]                          # name, any case
    assert await names(q="whatsapp") == ["wa-pack"]                         # display name
    assert await names(q="a.b") == []                                       # not a regex
    assert await names(filter_by="active") == ["wa-pack", "extra-user"]
    assert await names(filter_by="inactive") == ["contacts"]
    assert await names(filter_by="one_time") == ["wa-pack"]
    assert await names(filter_by="recurring") == ["contacts", "extra-user"]
    first = await (await api.client.get(URL, params={"limit": "2"}, headers=ADMIN)).json()
    assert [a["name"] for a in first["addons"]] == ["contacts", "wa-pack"]
    rest = await names(limit="2", cursor=first["next_cursor"])
    assert rest == ["extra-user"]
    resp = await api.client.get(URL, params={"filter_by": "cheap"}, headers=ADMIN)
    assert resp.status == 422


async def test_patch_validates_the_whole_addon_and_records_events(api, clock):
    created = await create_addon(api, addon_body("seat"))
    url = f"{URL}/{created['id']}"
    resp = await api.client.patch(url, json={"max_quantity": 0}, headers=ADMIN)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "max_quantity"
    resp = await api.client.patch(url, json={"display_name": "Seat", "periods": {
        "monthly": {"currency": "IDR", "amount": 12_000}}}, headers=ADMIN)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["display_name"] == "Seat" and body["max_quantity"] == 50
    assert body["periods"]["monthly"]["amount"] == 12_000
    await api.client.post(f"{url}/deactivate", headers=ADMIN)
    body = await (await api.client.post(f"{url}/activate", headers=ADMIN)).json()
    assert body["status"] == "active"
    events = [e["type"] for e in await events_of(app_services(api).db, created["id"])]
    assert events == ["addon.created", "addon.updated", "addon.updated", "addon.updated"]
    resp = await api.client.delete(url, headers=ADMIN)
    assert resp.status == 204
    assert (await api.client.get(url, headers=ADMIN)).status == 404
    assert "addon.deleted" in [e["type"] for e in await events_of(app_services(api).db,
                                                                  created["id"])]


async def test_an_addon_another_one_requires_cannot_be_deleted(api):
    base = await create_addon(api, addon_body("base"))
    await create_addon(api, addon_body("needs-base", requires=[base["id"]]))
    resp = await api.client.delete(f"{URL}/{base['id']}", headers=ADMIN)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "addon_in_use"


async def test_catalog_routes_are_admin_only(api):
    ws, key = await api.create_workspace([PHONE_A])
    _, reseller_key = await create_reseller(api)
    for who in (key, reseller_key):
        resp = await api.client.post(URL, json=addon_body("x"), headers=api.auth(who))
        assert resp.status == 404
        assert (await api.client.get(URL, headers=api.auth(who))).status == 404
    assert (await api.client.get(URL)).status == 401
