"""Webhook endpoints (issue 15 item 4): registered with a URL Saldo may call, a secret shown
once and rotatable (both secrets sign for 24 hours), changed, disabled, deleted."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from service.outbound.repository import Endpoints
from tests.helpers import ADMIN_TOKEN, PHONE_A, app_services, topup
from tests.outbound.receiver import deliver, register

BASE = "/v1/webhook-endpoints"


async def test_the_secret_is_shown_once_and_the_endpoint_reads_back(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    created = await register(hooks, key, receiver.url, event_types=["wallet.*", "invoice.paid"],
                             description="chat platform")
    assert created["secret"].startswith("whsec_")
    endpoint = created["endpoint"]
    assert endpoint["owner"] == {"role": "workspace", "workspace_id": ws, "reseller_id": None}
    assert endpoint["status"] == "enabled" and endpoint["event_types"] == ["wallet.*",
                                                                           "invoice.paid"]
    for resp in (await hooks.client.get(f"{BASE}/{endpoint['id']}", headers=hooks.auth(key)),
                 await hooks.client.get(BASE, headers=hooks.auth(key))):
        text = await resp.text()
        assert resp.status == 200 and endpoint["id"] in text and "whsec_" not in text


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://127.0.0.1/hook",
                                 "https://localhost:8443/hook", "https://10.1.2.3/",
                                 "https://169.254.169.254/latest", "https://[::1]/hook",
                                 "https://[::ffff:192.168.0.1]/", "https://100.64.0.1/",
                                 "ftp://93.184.216.34/", "https://user:pw@93.184.216.34/",
                                 "https:///nohost", "https://93.184.216.34/a b"])
async def test_urls_saldo_must_not_call_are_refused_without_the_development_flag(api, url):
    resp = await api.client.post(BASE, json={"url": url}, headers=api.auth(ADMIN_TOKEN))
    body = await resp.json()
    assert resp.status == 422, body
    assert body["error"]["code"] == "webhook_url_refused" and body["error"]["field"] == "url"


async def test_a_public_https_url_is_accepted(api):
    created = await register(api, ADMIN_TOKEN, "https://93.184.216.34/hook")
    assert created["endpoint"]["owner"]["role"] == "admin"


@pytest.mark.parametrize("body,field", [({}, "url"), ({"url": "https://93.184.216.34/",
                                                       "event_types": []}, "event_types"),
                                        ({"url": "https://93.184.216.34/",
                                          "event_types": ["Invoice Paid"]}, "event_types.0"),
                                        ({"url": "https://93.184.216.34/", "x": 1}, "x")])
async def test_bad_bodies_are_422_with_their_field(api, body, field):
    resp = await api.client.post(BASE, json=body, headers=api.auth(ADMIN_TOKEN))
    answer = await resp.json()
    assert resp.status == 422 and answer["error"]["field"] == field, answer


@pytest.mark.parametrize("host,why", [("127.0.0.1", "not a public address"),
                                      ("localhost", "resolves to no public address")])
async def test_an_address_that_turned_private_is_refused_at_send_time(hooks, receiver, host, why):
    """Registered while allowed; then the flag is off (as if the name now resolved to a
    private address: the connection goes only to addresses checked after resolving): nothing
    reaches it and the attempt says why."""
    ws, key = await hooks.create_workspace([PHONE_A])
    url = receiver.url.replace("127.0.0.1", host)
    endpoint = (await register(hooks, key, url))["endpoint"]
    await topup(hooks, ws, key)
    svc = app_services(hooks)
    svc.settings = replace(svc.settings, webhooks_allow_private=False)
    assert "retry" in await deliver(hooks)
    assert receiver.received == []
    resp = await hooks.client.get(f"{BASE}/{endpoint['id']}/attempts", headers=hooks.auth(key))
    [attempt, *_] = (await resp.json())["attempts"]
    assert why in attempt["error"]


async def test_after_a_rotation_both_secrets_sign_for_24_hours(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    created = await register(hooks, key, receiver.url, event_types=["invoice.created"])
    old, endpoint_id = created["secret"], created["endpoint"]["id"]
    resp = await hooks.client.post(f"{BASE}/{endpoint_id}/rotate-secret", headers=hooks.auth(key))
    assert resp.status == 200, await resp.text()
    rotated = await resp.json()
    new = rotated["secret"]
    assert new != old and rotated["endpoint"]["previous_secret_expires_at"]
    receiver.secrets += [old, new]
    await topup(hooks, ws, key)
    await deliver(hooks)
    assert receiver.received[-1].verified_by == [old, new]
    hooks.clock.advance(timedelta(hours=24, seconds=1))
    await topup(hooks, ws, key, amount=20_000)
    await deliver(hooks)
    assert receiver.received[-1].verified_by == [new]
    assert len(receiver.received[-1].headers["webhook-signature"].split(" ")) == 1


async def test_change_disable_enable_and_delete(hooks, receiver):
    ws, key = await hooks.create_workspace([PHONE_A])
    endpoint_id = (await register(hooks, key, receiver.url))["endpoint"]["id"]
    url = f"{BASE}/{endpoint_id}"
    resp = await hooks.client.patch(url, json={"status": "disabled", "event_types": ["topup.*"]},
                                    headers=hooks.auth(key))
    assert resp.status == 200 and (await resp.json())["status"] == "disabled"
    await topup(hooks, ws, key)
    await deliver(hooks)
    assert receiver.received == []
    resp = await hooks.client.post(f"{url}/events/x:invoice.created/resend",
                                   headers=hooks.auth(key))
    assert resp.status == 404
    resp = await hooks.client.patch(url, json={"status": "enabled"}, headers=hooks.auth(key))
    assert (await resp.json())["failing_since"] is None
    resp = await hooks.client.patch(url, json={"url": "https://127.0.0.1/"},
                                    headers=hooks.auth(key))
    assert resp.status == 200              # the development flag is on in `hooks`
    assert (await hooks.client.delete(url, headers=hooks.auth(key))).status == 204
    assert (await hooks.client.get(url, headers=hooks.auth(key))).status == 404
    assert await Endpoints(app_services(hooks).db).get(endpoint_id) is None
