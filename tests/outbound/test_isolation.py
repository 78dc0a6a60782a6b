"""Tenant isolation of outbound webhooks: a workspace's endpoint receives only its own events, a
reseller's only its customers', the admin's all; nobody resends or reads another tenant's."""
from __future__ import annotations

from service.mongo.events import emit
from tests.addon_helpers import addon_body, create_addon, create_reseller, reseller_workspace
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, PHONE_C, app_services, press_pay, topup
from tests.outbound.receiver import Receiver, deliver, register


async def _receivers(aiohttp_server, n: int) -> list[Receiver]:
    from aiohttp import web
    out = []
    for _ in range(n):
        r = Receiver()
        app = web.Application()
        app.router.add_post("/hook", r.handle)
        r.url = str((await aiohttp_server(app)).make_url("/hook"))
        out.append(r)
    return out


async def test_each_endpoint_gets_only_the_events_its_owner_may_see(hooks, aiohttp_server,
                                                                    library_clock):
    r1, r1_key = await create_reseller(hooks, "R1")
    _, r2_key = await create_reseller(hooks, "R2")
    ws_a, key_a = await reseller_workspace(hooks, r1_key, PHONE_A)
    ws_b, key_b = await reseller_workspace(hooks, r2_key, PHONE_B)
    ws_c, key_c = await hooks.create_workspace([PHONE_C])          # the agency's own customer
    at_a, at_b, at_r1, at_r2, at_admin = await _receivers(aiohttp_server, 5)
    for key, receiver in ((key_a, at_a), (key_b, at_b), (r1_key, at_r1), (r2_key, at_r2),
                          (ADMIN_TOKEN, at_admin)):
        await register(hooks, key, receiver.url)
    for ws, key in ((ws_a, key_a), (ws_b, key_b), (ws_c, key_c)):
        await topup(hooks, ws, key)
    await deliver(hooks)

    def workspaces(r: Receiver) -> set:
        return {x.body["data"]["workspace_id"] for x in r.received}
    assert workspaces(at_a) == workspaces(at_r1) == {ws_a}
    assert workspaces(at_b) == workspaces(at_r2) == {ws_b}
    assert workspaces(at_admin) == {ws_a, ws_b, ws_c}
    assert {x.body["data"]["reseller_id"] for x in at_r1.received} == {r1}
    assert len(at_admin.received) == len(at_a.received) + len(at_b.received) + len(
        [x for x in at_admin.received if x.body["data"]["workspace_id"] == ws_c])


async def _paid_topup_event(api, ws: str, key: str) -> str:
    payment = (await topup(api, ws, key))["payment"]["id"]
    assert (await press_pay(api, payment)).status == 200
    return f"{payment}:payment.succeeded"


async def test_another_tenants_endpoint_or_event_is_not_found(hooks, receiver):
    ws_a, key_a = await hooks.create_workspace([PHONE_A])
    ws_b, key_b = await hooks.create_workspace([PHONE_B])
    mine = (await register(hooks, key_a, receiver.url))["endpoint"]["id"]
    theirs = (await register(hooks, key_b, receiver.url))["endpoint"]["id"]
    their_event = await _paid_topup_event(hooks, ws_b, key_b)
    own_event = await _paid_topup_event(hooks, ws_a, key_a)
    for path in (f"/v1/webhook-endpoints/{theirs}", f"/v1/webhook-endpoints/{theirs}/attempts"):
        resp = await hooks.client.get(path, headers=hooks.auth(key_a))
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    resp = await hooks.client.post(f"/v1/webhook-endpoints/{mine}/events/{their_event}/resend",
                                   headers=hooks.auth(key_a))
    assert resp.status == 404 and (await resp.json())["error"]["field"] == "event_id"
    listed = await (await hooks.client.get("/v1/webhook-endpoints",
                                           headers=hooks.auth(key_a))).json()
    assert [e["id"] for e in listed["endpoints"]] == [mine]
    await deliver(hooks)
    before = len(receiver.received)
    resp = await hooks.client.post(f"/v1/webhook-endpoints/{mine}/events/{own_event}/resend",
                                   headers=hooks.auth(key_a))
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["status"] == "pending"
    await deliver(hooks)
    assert receiver.event_ids()[before:] == [own_event]


async def test_catalog_events_go_to_the_admin_and_the_resellers_who_see_the_addon(
        hooks, aiohttp_server, library_clock):
    """`addon.*` events have no workspace: the admin's endpoints get them, a reseller's when
    the add-on's `visibility.resellers` (in the event's data, the catalog's API shape) names
    it or says "all". A real add-on's event carries its visibility (here: all resellers)."""
    r1, r1_key = await create_reseller(hooks, "R1")
    _, r2_key = await create_reseller(hooks, "R2")
    at_r1, at_r2, at_admin = await _receivers(aiohttp_server, 3)
    for key, receiver in ((r1_key, at_r1), (r2_key, at_r2), (ADMIN_TOKEN, at_admin)):
        await register(hooks, key, receiver.url, event_types=["addon.*"])
    db, now = app_services(hooks).db, hooks.clock.now()
    for addon, visibility in (("ad_all", "all"), ("ad_r1", [r1]), ("ad_none", "none")):
        await emit(db, "addon.created", addon, None, {"visibility": {"resellers": visibility}},
                   now)
    real = await create_addon(hooks, addon_body("plain-catalog-event"))
    real_id = real["id"]
    await deliver(hooks)

    def objects(r: Receiver) -> list[str]:
        return sorted(x.body["data"]["object_id"] for x in r.received)
    assert objects(at_r1) == sorted(["ad_all", "ad_r1", real_id])
    assert objects(at_r2) == sorted(["ad_all", real_id])
    assert len(objects(at_admin)) == 4 and {"ad_all", "ad_r1", "ad_none"} < set(objects(at_admin))
