"""Bad input never charges, never stores an unverified payload and never answers 500: every error
is {"error": {"code", "message", "field"?}} with the contract's status."""
import json

import pytest

from handlers.bodies import WEBHOOK_MAX_BODY
from service.runtime.context import SERVICES
from tests.helpers import (ADMIN_TOKEN, FRESH, PHONE_A, PHONE_B, VERIFY_TOKEN, failed_payloads,
                           sample, sign, status, status_payload)

DELIVERED = status_payload(PHONE_A, [status("wamid.x1", "delivered", "service")])


def _db(api):
    """The WhatsApp log's database, where received payloads are stored."""
    return api.client.app[SERVICES].whatsapp.db


async def _error(resp, status_code: int, code: str, field: str | None = None) -> dict:
    assert resp.status == status_code, await resp.text()
    body = await resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field
    return body["error"]


async def _post_raw(api, raw: bytes, headers: dict):
    return await api.client.post("/webhooks/whatsapp", data=raw, headers=headers)


# --- webhook signature ------------------------------------------------------------------------

SIGNATURES = {"missing": None, "empty": "", "no-hex": "sha256=", "short": "sha256=deadbeef",
              "sha1": "sha1=" + "0" * 40, "no-prefix": "0" * 64, "zeros": "sha256=" + "0" * 64}


async def test_bad_or_missing_signature_is_401_and_nothing_is_stored(api):
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(DELIVERED).encode()
    for name, signature in SIGNATURES.items():
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        resp = await _post_raw(api, raw, headers)
        assert resp.status == 401, name
        await _error(resp, 401, "unauthorized")
    assert await _db(api).wa_payloads.count_documents({}) == 0
    assert await api.amounts(ws, key) == FRESH


async def test_payload_signed_with_a_foreign_secret_is_401(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _error(await api.webhook(DELIVERED, secret="someone-elses-secret"), 401, "unauthorized")
    assert await _db(api).wa_payloads.count_documents({}) == 0
    assert await api.amounts(ws, key) == FRESH


async def test_signature_of_another_body_is_401(api):
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(DELIVERED).encode()
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature-256": sign(raw.replace(b"delivered", b"sent     "))}
    await _error(await _post_raw(api, raw, headers), 401, "unauthorized")
    assert await _db(api).wa_payloads.count_documents({}) == 0


async def test_uppercase_hex_signature_is_accepted(api):
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(DELIVERED).encode()
    signature = "sha256=" + sign(raw)[len("sha256="):].upper()
    resp = await _post_raw(api, raw, {"Content-Type": "application/json",
                                      "X-Hub-Signature-256": signature})
    assert resp.status == 200
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}


# --- webhook body -----------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe{}"],
                         ids=["broken", "empty", "array", "string", "bad-utf8"])
async def test_malformed_json_with_a_valid_signature_is_400_invalid_json(api, raw):
    await _error(await api.webhook(raw), 400, "invalid_json")
    assert await _db(api).wa_payloads.count_documents({}) == 0


async def test_deeply_nested_json_with_a_valid_signature_is_400_not_500(api):
    raw = b'{"entry": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    await _error(await api.webhook(raw), 400, "invalid_json")


async def test_wrong_content_type_is_415(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.webhook(DELIVERED, headers={"Content-Type": "text/plain"})
    await _error(resp, 415, "unsupported_media_type")
    assert await _db(api).wa_payloads.count_documents({}) == 0
    assert await api.amounts(ws, key) == FRESH


async def test_body_over_the_webhook_cap_is_413_payload_too_large(api):
    padding = "x" * WEBHOOK_MAX_BODY
    raw = json.dumps({**DELIVERED, "padding": padding}).encode()
    await _error(await api.webhook(raw), 413, "payload_too_large")
    assert await _db(api).wa_payloads.count_documents({}) == 0


async def test_body_of_exactly_the_webhook_cap_is_accepted(api):
    ws, key = await api.create_workspace([PHONE_A])
    raw = json.dumps(DELIVERED).encode()
    raw = raw[:-1] + b', "more": "' + b"x" * (WEBHOOK_MAX_BODY - len(raw) - 12) + b'"}'
    assert len(raw) == WEBHOOK_MAX_BODY
    resp = await api.webhook(raw)
    assert resp.status == 200, await resp.text()
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}


ODD_PAYLOADS = {
    "empty": {}, "no-entry": {"object": "whatsapp_business_account"},
    "entry-string": {"entry": "x"},
    "entry-garbage": {"entry": [None, 1, "x", {"changes": "y"}]},
    "value-null": {"entry": [{"changes": [{"field": "messages", "value": None}]}]},
    "odd-statuses": {"entry": [{"changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": PHONE_A},
        "statuses": [{"id": "wamid.x2", "status": "delivered", "timestamp": "soon",
                      "pricing": "free"}, {"status": "read"}, None, 7]}}]}]},
}


async def test_odd_but_valid_json_is_acknowledged_and_processed_without_error(api):
    await api.create_workspace([PHONE_A])
    for name, payload in ODD_PAYLOADS.items():
        resp = await api.webhook(payload)
        assert resp.status == 200, (name, await resp.text())
    assert await _db(api).wa_payloads.count_documents({}) == len(ODD_PAYLOADS)
    assert await failed_payloads(_db(api)) == []


# --- GET handshake ----------------------------------------------------------------------------

async def test_handshake_with_the_right_token_echoes_the_challenge_as_plain_text(api):
    resp = await api.client.get("/webhooks/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert await resp.text() == "1158201444"


WRONG_HANDSHAKES = {
    "wrong-token": {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
    "wrong-mode": {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN,
                   "hub.challenge": "42"},
    "no-mode": {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
    "no-token": {"hub.mode": "subscribe", "hub.challenge": "42"},
    "empty-token": {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"},
}


async def test_handshake_with_a_wrong_token_or_mode_is_403(api):
    for name, params in WRONG_HANDSHAKES.items():
        resp = await api.client.get("/webhooks/whatsapp", params=params)
        assert resp.status == 403, name
        assert "42" not in await resp.text()


# --- API keys and tenancy ---------------------------------------------------------------------

BAD_AUTH = {"missing": None, "empty": "", "bare": "Bearer", "blank": "Bearer ",
            "unknown": "Bearer sk_ws_wrong", "basic": "Basic dXNlcjpwYXNz",
            "lowercase-scheme": "bearer " + ADMIN_TOKEN}


async def test_wrong_or_missing_api_key_is_401(api):
    ws, key = await api.create_workspace([PHONE_A])
    for name, header in BAD_AUTH.items():
        headers = {} if header is None else {"Authorization": header}
        for method, path, body in (("GET", f"/v1/workspaces/{ws}/wallet", None),
                                   ("GET", f"/v1/workspaces/{ws}/wallet/usage", None),
                                   ("POST", f"/v1/workspaces/{ws}/wallet/authorize",
                                    {"kind": "reply", "count": 1}),
                                   ("GET", "/v1/admin/reconcile", None)):
            resp = await api.client.request(method, path, json=body, headers=headers)
            assert resp.status == 401, (name, path)
            await _error(resp, 401, "unauthorized")


async def test_another_workspaces_id_is_404_like_a_missing_one(api):
    ws_a, key_a = await api.create_workspace([PHONE_A])
    ws_b, _ = await api.create_workspace([PHONE_B])
    for target in (ws_b, "ws_doesnotexist"):
        for method, path, body in (("GET", f"/v1/workspaces/{target}", None),
                                   ("GET", f"/v1/workspaces/{target}/wallet", None),
                                   ("GET", f"/v1/workspaces/{target}/wallet/usage", None),
                                   ("POST", f"/v1/workspaces/{target}/wallet/authorize",
                                    {"kind": "reply", "count": 1})):
            resp = await api.client.request(method, path, json=body, headers=api.auth(key_a))
            await _error(resp, 404, "not_found")


async def test_workspace_key_cannot_reconcile_or_patch(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _error(await api.client.get("/v1/admin/reconcile", headers=api.auth(key)),
                 404, "not_found")
    resp = await api.client.patch(f"/v1/workspaces/{ws}", json={"arrears_limit": 10**8},
                                  headers=api.auth(key))
    await _error(resp, 404, "not_found")


# --- request bodies and queries ---------------------------------------------------------------

async def _authorize(api, ws, key, body):
    return await api.client.post(f"/v1/workspaces/{ws}/wallet/authorize", json=body,
                                 headers=api.auth(key))


async def test_authorize_rejects_a_bad_count_with_422_on_field_count(api):
    ws, key = await api.create_workspace([PHONE_A])
    for count in (-1, 0, 10**9, 1_000_001, "ten", "", 1.5, None, [1], {"n": 1}):
        resp = await _authorize(api, ws, key, {"kind": "reply", "count": count})
        assert resp.status == 422, count
        await _error(resp, 422, "validation_error", field="count")


@pytest.mark.parametrize("count", ["5", True], ids=["numeric-string", "boolean"])
async def test_authorize_rejects_a_count_that_is_not_a_json_integer(api, count):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await _authorize(api, ws, key, {"kind": "reply", "count": count})
    await _error(resp, 422, "validation_error", field="count")


async def test_authorize_rejects_missing_count_and_unknown_kind(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _error(await _authorize(api, ws, key, {"kind": "reply"}), 422, "validation_error",
                 field="count")
    await _error(await _authorize(api, ws, key, {"kind": "sms", "count": 1}), 422,
                 "validation_error", field="kind")


async def test_authorize_accepts_the_largest_count(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await _authorize(api, ws, key, {"kind": "reply", "count": 1_000_000})
    await _error(resp, 402, "insufficient_balance")


@pytest.mark.parametrize("path_kind, body", [
    ("authorize", {"kind": "reply", "count": 1, "dry_run": True}),
    ("create", {"name": "X", "phone_number_ids": ["62999"], "colour": "red"}),
    ("patch", {"arrears_limit": 1000, "credit": 5}),
], ids=["authorize", "create-workspace", "patch-workspace"])
async def test_unknown_fields_in_a_request_body_are_422(api, path_kind, body):
    ws, key = await api.create_workspace([PHONE_A])
    method, path, who = {
        "authorize": ("POST", f"/v1/workspaces/{ws}/wallet/authorize", key),
        "create": ("POST", "/v1/workspaces", ADMIN_TOKEN),
        "patch": ("PATCH", f"/v1/workspaces/{ws}", ADMIN_TOKEN)}[path_kind]
    resp = await api.client.request(method, path, json=body, headers=api.auth(who))
    error = await _error(resp, 422, "validation_error")
    assert error["field"] in body and error["field"] in ("dry_run", "colour", "credit")


async def test_api_body_errors_are_400_415_and_413(api):
    ws, key = await api.create_workspace([PHONE_A])
    path = f"/v1/workspaces/{ws}/wallet/authorize"
    headers = {**api.auth(key), "Content-Type": "application/json"}
    await _error(await api.client.post(path, data=b"{oops", headers=headers), 400, "invalid_json")
    await _error(await api.client.post(path, data=b'{"kind": "reply", "count": 1}',
                                       headers={**headers, "Content-Type": "text/plain"}),
                 415, "unsupported_media_type")
    big = b'{"kind": "reply", "count": 1, "x": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    await _error(await api.client.post(path, data=big, headers=headers), 413,
                 "payload_too_large")


async def test_deeply_nested_json_body_is_400_not_500(api):
    ws, key = await api.create_workspace([PHONE_A])
    raw = b'{"kind": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    resp = await api.client.post(f"/v1/workspaces/{ws}/wallet/authorize", data=raw,
                                 headers={**api.auth(key), "Content-Type": "application/json"})
    await _error(resp, 400, "invalid_json")


BAD_QUERIES = [
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "many"}, "limit"),
    ({"balance": "savings"}, "balance"), ({"from": "yesterday"}, "from"),
    ({"cursor": "!!!"}, "cursor"), ({"cursor": "bm90LWFuLWludA=="}, "cursor"),
    ({"sort": "asc"}, "sort")]


async def test_usage_rejects_bad_query_parameters_with_422(api):
    ws, key = await api.create_workspace([PHONE_A])
    for query, field in BAD_QUERIES:
        resp = await api.client.get(f"/v1/workspaces/{ws}/wallet/usage", params=query,
                                    headers=api.auth(key))
        assert resp.status == 422, query
        await _error(resp, 422, "validation_error", field=field)


async def test_bad_input_never_touches_the_wallet(api):
    ws, key = await api.create_workspace([PHONE_A])
    await api.webhook(sample("05_status_delivered_marketing.json"), secret="wrong")
    await api.webhook(b"{", headers={})
    await _authorize(api, ws, key, {"kind": "reply", "count": -5})
    assert await api.amounts(ws, key) == FRESH
    assert (await api.reconcile())["ok"] is True
