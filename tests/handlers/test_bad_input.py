"""Bad input never charges, never stores an unverified payload and never answers 500: every error
is {"error": {"code", "message", "field"?}} with the contract's status."""
import json

import pytest

from handlers.bodies import WEBHOOK_MAX_BODY
from service.runtime.context import SERVICES
from tests.helpers import (FRESH, PHONE_A, VERIFY_TOKEN, failed_payloads, sign, status,
                           status_payload)

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
