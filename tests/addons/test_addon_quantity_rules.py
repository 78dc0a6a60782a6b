"""`allow_multiple` and `max_quantity` agree (issue 9 item 19): left out, they are derived
from each other (neither: one unit at a time); given both, a contradiction is refused."""
import pytest

from service.runtime.context import SERVICES
from tests.addon_helpers import ADMIN, addon_body

URL = "/v1/admin/addons"


def body(name: str, **quantity) -> dict:
    out = addon_body(name, **quantity)
    if "max_quantity" not in quantity:
        out.pop("max_quantity")
    return out


async def _created(api, payload: dict) -> dict:
    resp = await api.client.post(URL, json=payload, headers=ADMIN)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_a_new_addon_with_neither_is_sold_one_at_a_time(api):
    addon = await _created(api, body("plain"))
    assert (addon["allow_multiple"], addon["max_quantity"]) == (False, 1)


@pytest.mark.parametrize("given, expected", [
    ({"max_quantity": 10}, (True, 10)), ({"max_quantity": 1}, (False, 1)),
    ({"allow_multiple": False}, (False, 1)),
    ({"allow_multiple": True, "max_quantity": 5}, (True, 5))])
async def test_one_given_derives_the_other(api, given, expected):
    addon = await _created(api, body("derived", **given))
    assert (addon["allow_multiple"], addon["max_quantity"]) == expected


@pytest.mark.parametrize("given", [
    {"allow_multiple": True, "max_quantity": 1}, {"allow_multiple": False, "max_quantity": 5},
    {"allow_multiple": True}])
async def test_an_inconsistent_pair_is_refused_with_a_clear_error(api, given):
    resp = await api.client.post(URL, json=body("odd", **given), headers=ADMIN)
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert (error["code"], error["field"]) == ("validation_error", "max_quantity")
    assert "allow_multiple" in error["message"]


async def test_a_patch_of_one_of_them_rederives_the_other(api):
    addon = await _created(api, body("seats", max_quantity=20))
    url = f"{URL}/{addon['id']}"
    one = await (await api.client.patch(url, json={"max_quantity": 1}, headers=ADMIN)).json()
    assert (one["allow_multiple"], one["max_quantity"]) == (False, 1)
    resp = await api.client.patch(url, json={"allow_multiple": True}, headers=ADMIN)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "max_quantity"
    many = await (await api.client.patch(url, json={"max_quantity": 8}, headers=ADMIN)).json()
    assert (many["allow_multiple"], many["max_quantity"]) == (True, 8)
    again = await (await api.client.patch(url, json={"allow_multiple": True},
                                          headers=ADMIN)).json()
    assert (again["allow_multiple"], again["max_quantity"]) == (True, 8)


async def test_an_addon_stored_with_the_old_defaults_can_still_be_edited(api):
    addon = await _created(api, body("legacy", max_quantity=3))
    db = api.client.server.app[SERVICES].db
    await db.addons.update_one({"_id": addon["id"]},
                               {"$set": {"allow_multiple": True, "max_quantity": 1}})
    read = await (await api.client.get(f"{URL}/{addon['id']}", headers=ADMIN)).json()
    assert (read["allow_multiple"], read["max_quantity"]) == (False, 1)   # what it sells
    resp = await api.client.patch(f"{URL}/{addon['id']}", json={"display_name": "Legacy"},
                                  headers=ADMIN)
    assert resp.status == 200, await resp.text()
    edited = await resp.json()
    assert (edited["allow_multiple"], edited["max_quantity"]) == (False, 1)
