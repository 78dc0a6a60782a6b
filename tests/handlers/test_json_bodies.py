"""Issue 17 §3: one body decoder for every route. A body nested far too deep is a 400
`invalid_json` with a message on every route that reads a body: with or without an
Idempotency-Key, on a signed payment callback and on a signed WhatsApp webhook; never a 500."""
import json

import pytest

from handlers.routes import ROUTES
from service.runtime import json_body
from tests.addon_helpers import addon_body, create_addon
from tests.helpers import (ADMIN_TOKEN, PHONE_A, post_payment_callback, sign, status,
                           status_payload)

DEPTHS = [json_body.MAX_DEPTH + 1, 990, 1_000, 100_000]
BODY_ROUTES = [r for r in ROUTES if r.body is not None]
IDEMPOTENT_ROUTES = [r for r in ROUTES if hasattr(r.handler, "__wrapped__")]


def nested(depth: int) -> bytes:
    return b'{"a": ' + b"[" * depth + b"]" * depth + b"}"


async def _invalid_json(resp) -> None:
    assert resp.status == 400, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "invalid_json"
    assert error["message"]


async def _caller(api, route) -> tuple[str, str]:
    """The route's path filled in for a workspace, and a key that may use it."""
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = (await create_addon(api, addon_body("deep-test")))["id"]
    path = route.path.replace("{ws}", ws).replace("{addon_id}", addon)
    path = path.replace("{id}", "growth" if "/plans/" in path else addon)
    if "{endpoint_id}" in path:      # issue 15: an admin's webhook endpoint
        resp = await api.client.post("/v1/webhook-endpoints", headers=api.auth(ADMIN_TOKEN),
                                     json={"url": "https://93.184.216.34/hook"})
        path = path.replace("{endpoint_id}", (await resp.json())["endpoint"]["id"])
    manager = route.path == "/v1/workspaces/{ws}" or "{ws}" not in route.path
    return path, (ADMIN_TOKEN if manager else key)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("idempotency_key", [False, True], ids=["plain", "idempotency-key"])
@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_deeply_nested_body_is_400_invalid_json_on_every_route(api, route,
                                                                      idempotency_key, depth):
    path, key = await _caller(api, route)
    headers = {**api.auth(key), "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = f"deep-{depth}"
    await _invalid_json(await api.client.request(route.method, path, data=nested(depth),
                                                 headers=headers))


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("route", IDEMPOTENT_ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_deeply_nested_body_with_an_idempotency_key_never_answers_500(api, route, depth):
    """Routes without a body model still hash the body of an Idempotency-Key."""
    path, key = await _caller(api, route)
    resp = await api.client.request(route.method, path, data=nested(depth), headers={
        **api.auth(key), "Content-Type": "application/json", "Idempotency-Key": "deep"})
    assert resp.status < 500, await resp.text()


@pytest.mark.parametrize("depth", DEPTHS)
async def test_deeply_nested_signed_payment_callback_is_400_invalid_json(api, depth):
    await _invalid_json(await post_payment_callback(api, nested(depth)))


@pytest.mark.parametrize("depth", DEPTHS)
async def test_deeply_nested_signed_webhook_is_400_invalid_json(api, depth):
    raw = nested(depth)
    await _invalid_json(await api.client.post("/webhooks/whatsapp", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)}))


async def test_a_body_nested_as_deep_as_a_real_one_is_still_accepted(api):
    """The depth limit sits far above what Meta or the API's own models nest."""
    await api.create_workspace([PHONE_A])
    payload = status_payload(PHONE_A, [status("wamid.deep", "delivered", "service")])
    payload["entry"][0]["changes"][0]["value"]["padding"] = json.loads(nested(20))
    resp = await api.webhook(payload)
    assert resp.status == 200, await resp.text()
