"""Issue 17 §6: /openapi.json declares the error statuses each operation can answer (400, 403,
409, 413, 415, 503 where they occur), so a client or a schema fuzzer is never surprised by a
documented answer; and the answers the service gives are among them."""
import json

import pytest

from handlers.routes import ROUTES
from tests.helpers import ADMIN_TOKEN, PHONE_A, sign, status, status_payload

BODY_ROUTES = [(r.method, r.path) for r in ROUTES if r.body is not None]
IDEMPOTENT = [(r.method, r.path) for r in ROUTES if getattr(r.handler, "idempotent", False)]
STORE_FREE = {("GET", "/openapi.json"), ("GET", "/webhooks/whatsapp")}


@pytest.fixture
async def doc(api) -> dict:
    resp = await api.client.get("/openapi.json")
    assert resp.status == 200
    return await resp.json()


def responses(doc: dict, method: str, path: str) -> dict:
    return doc["paths"][path][method.lower()]["responses"]


async def test_routes_with_a_json_body_declare_400_413_and_415(doc):
    for method, path in BODY_ROUTES:
        assert {"400", "413", "415"} <= set(responses(doc, method, path)), (method, path)


async def test_signed_callbacks_declare_400_and_413_the_webhook_415_too(doc):
    assert {"400", "401", "413", "415"} <= set(responses(doc, "POST", "/webhooks/whatsapp"))
    assert {"400", "401", "413"} <= set(responses(doc, "POST", "/webhooks/payments/{provider}"))


async def test_idempotent_routes_declare_409(doc):
    assert IDEMPOTENT
    for method, path in IDEMPOTENT:
        assert "409" in responses(doc, method, path), (method, path)


async def test_the_handshake_declares_403(doc):
    answers = responses(doc, "GET", "/webhooks/whatsapp")
    assert "text/plain" in answers["403"]["content"]


async def test_every_route_that_uses_the_store_declares_503_with_retry_after(doc):
    for r in ROUTES:
        answers = responses(doc, r.method, r.path)
        if (r.method, r.path) in STORE_FREE:
            assert "503" not in answers, (r.method, r.path)
        elif r.path not in ("/healthz", "/readyz"):
            assert "Retry-After" in answers["503"]["headers"], (r.method, r.path)


async def test_the_answers_given_are_declared(api, doc):
    """One request per status the contract gained; each answer is in the document."""
    ws, key = await api.create_workspace([PHONE_A])
    json_headers = {**api.auth(key), "Content-Type": "application/json"}
    raw = json.dumps(status_payload(PHONE_A, [status("wamid.d", "delivered")])).encode()
    big = b'{"x": "' + b"x" * 300_000 + b'"}'
    cases = [
        ("POST", "/v1/workspaces", dict(json={"name": "x", "phone_number_ids": [PHONE_A]},
                                        headers=api.auth(ADMIN_TOKEN)), 409),
        ("POST", "/v1/workspaces/{ws}/wallet/authorize",
         dict(data=b"{oops", headers=json_headers), 400),
        ("POST", "/v1/workspaces/{ws}/wallet/authorize",
         dict(data=b"{}", headers={**api.auth(key), "Content-Type": "text/plain"}), 415),
        ("POST", "/v1/workspaces/{ws}/wallet/authorize", dict(data=big, headers=json_headers),
         413),
        ("POST", "/v1/workspaces/{ws}/wallet/authorize",
         dict(json={"kind": "broadcast", "count": 1}, headers=api.auth(key)), 402),
        ("GET", "/webhooks/whatsapp", dict(params={"hub.mode": "subscribe",
                                                    "hub.verify_token": "wrong"}), 403),
        ("POST", "/webhooks/whatsapp", dict(data=raw, headers={
            "Content-Type": "text/plain", "X-Hub-Signature-256": sign(raw)}), 415),
    ]
    for method, path, kwargs, expected in cases:
        resp = await api.client.request(method, path.replace("{ws}", ws), **kwargs)
        assert resp.status == expected, (method, path, await resp.text())
        assert str(expected) in responses(doc, method, path), (method, path, expected)
