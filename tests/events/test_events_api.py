"""GET /v1/events (issue 15 item 3): a workspace sees its own events, a reseller its customers',
the admin all; type and time filters; cursor pages that neither repeat nor skip, in both
orders; bad filters are a 422 naming their field."""
from datetime import timedelta

from service.events.emit import event_doc
from service.events.repository import EventQuery, page
from tests.addon_helpers import ADMIN, addon_body, create_addon, create_reseller
from tests.addon_helpers import reseller_workspace
from tests.events.helpers import all_events
from tests.helpers import (ADMIN_TOKEN, PHONE_A, PHONE_B, PHONE_C, app_services, press_pay,
                           topup)


async def _world(api):
    """A (reseller R1) with a paid top-up, B (reseller R2), C (the agency's own), an add-on."""
    _, r1 = await create_reseller(api, "R1")
    _, r2 = await create_reseller(api, "R2")
    a, key_a = await reseller_workspace(api, r1, PHONE_A)
    api.clock.advance(timedelta(seconds=1))
    b, key_b = await reseller_workspace(api, r2, PHONE_B)
    api.clock.advance(timedelta(seconds=1))
    c, key_c = await api.create_workspace([PHONE_C])
    api.clock.advance(timedelta(seconds=1))
    paid = await topup(api, a, key_a)
    assert (await press_pay(api, paid["payment"]["id"])).status == 200
    await create_addon(api, addon_body("isolation-addon"))
    return {"a": (a, key_a), "b": (b, key_b), "c": (c, key_c), "r1": r1, "r2": r2}


async def test_each_key_sees_only_its_tenants_events(api):
    w = await _world(api)
    (a, key_a), (b, key_b), (c, key_c) = w["a"], w["b"], w["c"]
    seen = {who: {e["workspace_id"] for e in await all_events(api, key)}
            for who, key in (("a", key_a), ("b", key_b), ("c", key_c), ("r1", w["r1"]),
                             ("r2", w["r2"]), ("admin", ADMIN_TOKEN))}
    assert seen == {"a": {a}, "b": {b}, "c": {c}, "r1": {a}, "r2": {b},
                    "admin": {a, b, c, None}}                     # None: the catalog's addon.*
    for e in await all_events(api, w["r1"]):
        assert e["reseller_id"] is not None and e["workspace_id"] == a
    assert "topup.completed" in [e["type"] for e in await all_events(api, w["r1"])]
    assert "topup.completed" not in [e["type"] for e in await all_events(api, w["r2"])]
    # naming another tenant's workspace is the 404 of a missing one; one's own narrows
    for key in (w["r2"], key_b):
        resp = await api.client.get("/v1/events", params={"workspace_id": a},
                                    headers=api.auth(key))
        assert resp.status == 404, await resp.text()
    narrowed = await all_events(api, ADMIN_TOKEN, workspace_id=b)
    assert narrowed and {e["workspace_id"] for e in narrowed} == {b}


async def test_pages_follow_the_cursor_without_repeats_or_gaps_in_both_orders(api):
    await _world(api)
    every = await all_events(api, ADMIN_TOKEN)
    assert len(every) > 8
    for order in ("asc", "desc"):
        query, pages = {"limit": "5", "order": order}, []
        while True:
            resp = await api.client.get("/v1/events", params=query, headers=ADMIN)
            body = await resp.json()
            pages += [e["id"] for e in body["events"]]
            assert len(body["events"]) <= 5
            if not body["next_cursor"]:
                break
            query["cursor"] = body["next_cursor"]
        expected = [e["id"] for e in every]
        assert pages == (expected if order == "asc" else expected[::-1])
    times = [e["created_at"] for e in every]
    assert times == sorted(times)
    newest = await (await api.client.get("/v1/events", params={"limit": "1"},
                                         headers=ADMIN)).json()
    assert newest["events"][0]["id"] == every[-1]["id"]          # default: newest first


async def test_type_and_time_filters(api, clock):
    started = clock.now()
    w = await _world(api)
    _, key_a = w["a"]
    types = {e["type"] for e in await all_events(api, key_a, type="invoice.*,payment.succeeded")}
    assert types == {"invoice.created", "invoice.paid", "payment.succeeded"}
    repeated = await api.client.get("/v1/events?type=invoice.paid&type=topup.completed",
                                    headers=api.auth(key_a))
    assert {e["type"] for e in (await repeated.json())["events"]} == {"invoice.paid",
                                                                     "topup.completed"}
    every = await all_events(api, key_a)
    cut = started + timedelta(seconds=2, milliseconds=500)     # A's top-up came after it
    after = await all_events(api, key_a, created_after=cut.isoformat())
    before = await all_events(api, key_a, created_before=cut.isoformat())
    assert after and before and len(after) + len(before) == len(every)
    assert "topup.completed" in {e["type"] for e in after}
    assert all(e["created_at"] > before[-1]["created_at"] for e in after)


async def test_bad_filters_are_a_422_naming_the_field(api):
    _, key = await api.create_workspace([PHONE_A])
    for params, field in ((({"type": "nothing.like_this"}), "type"),
                          ({"type": "invoice.*,,bogus.*"}, "type"),
                          ({"created_after": "2026-12-01T10:00:00"}, "created_after"),
                          ({"created_before": "yesterday"}, "created_before"),
                          ({"limit": "0"}, "limit"), ({"limit": "500"}, "limit"),
                          ({"order": "sideways"}, "order"),
                          ({"cursor": "not-a-cursor!"}, "cursor"),
                          ({"cursor": "MTIzfA=="}, "cursor"),              # "123|": no id
                          ({"colour": "blue"}, "colour")):
        resp = await api.client.get("/v1/events", params=params, headers=api.auth(key))
        body = await resp.json()
        assert resp.status == 422, (params, body)
        assert body["error"]["field"] == field, (params, body)


async def test_events_of_two_processes_sharing_an_order_are_each_served_once(api, clock):
    """Two processes may give events the same `order` (same millisecond, same counter): the
    cursor is a range on `order`, and the ties it fetches again are dropped by `_id`."""
    db = app_services(api).db
    docs = [event_doc("invoice.paid", f"inv_tie{i}", None, None, {}, clock.now())
            for i in range(5)]
    for d in docs[1:4]:
        d["order"] = docs[1]["order"]                          # three at one order
    await db.events.insert_many(docs)
    expected = [d["_id"] for d in docs]
    for ascending in (True, False):
        served, cursor = [], None
        while True:
            found, cursor = await page(db, EventQuery(limit=2, cursor=cursor,
                                                      ascending=ascending))
            served += [d["_id"] for d in found]
            if not cursor:
                break
        assert sorted(served) == sorted(expected) and len(served) == 5, served
