"""Bad input on the API (keys and tenancy, request bodies, queries): a clear error with its
status, code and field, and nothing changed."""
import pytest

from tests.handlers.test_bad_input import _error
from tests.helpers import ADMIN_TOKEN, FRESH, PHONE_A, PHONE_B, sample


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
