"""Bad input never answers 500: every route with a body, a query or path parameters is fed
malformed input (wrong types, huge numbers, unicode, operators, no body, non-JSON, a wrong
content type), and every answer below 500 that is an error has the contract's error shape.
Table-driven over the route tables (handlers.routes), so listed routes are fuzzed as they come."""
from __future__ import annotations

import base64
import json
import re

import pytest

from handlers.routes import ROUTES
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B

VALID_BODIES = {
    "TopupIn": {"balance": "conversation", "amount": 50_000},
    "SubscriptionChangeIn": {"plan": "growth", "period": "monthly"},
    "UsageReportIn": {"users": 1, "contacts": 1},
    "AuthorizeIn": {"kind": "reply", "count": 1},
    "UpdateWorkspace": {"name": "Toko"},
    "CreateWorkspace": {"name": "Toko", "phone_number_ids": [PHONE_B]},
    "PolicyIn": {"rules": []},
    "PlanIn": {"name": "Growth", "rank": 1, "prices": {"monthly": {"amount": 99_000}},
               "conversation_grant": {"amount": 30_000},
               "limits": {"users": 5, "contacts": 1000, "broadcast_quota": 1000}},
}
BAD_VALUES = [None, True, "", "x" * 5000, "🙂\u0000\u202e", -1, 10**30, -(10**30), 1.5,
              [], {}, {"$gt": ""}, ["a", {"b": None}], "1e400"]
RAW_BODIES = {
    "not-json": (b"{nope", "application/json"),
    "empty": (b"", "application/json"),
    "null": (b"null", "application/json"),
    "array": (b"[1, 2]", "application/json"),
    "string": (b'"text"', "application/json"),
    "huge-number": (b'{"amount": 1e400, "count": 1e400}', "application/json"),
    "nan": (b'{"amount": NaN, "count": Infinity}', "application/json"),
    "giant-int": (b'{"amount": ' + b"9" * 5000 + b"}", "application/json"),
    "deep": (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    "bad-utf8": (b'{"name": "\xff\xfe"}', "application/json"),
    "form": (b"amount=5", "application/x-www-form-urlencoded"),
    "text": (b'{"amount": 5}', "text/plain"),
}
QUERY_VALUES = ["", "abc", "-1", "0", "1e9", "99999999999999999999999", "🙂", "\u0000",
                "2026-13-45", "1e20", "9999-12-31T23:59:59+14:00",
                base64.urlsafe_b64encode(b"9" * 40).decode(),
                base64.urlsafe_b64encode(b"-" + b"9" * 30).decode(), "%%%", "a" * 300]
QUERY_NAMES = ["limit", "cursor", "from", "to", "balance", "kind", "type", "status", "state",
               "q", "filter_by"]
PATH_VALUES = ["x", "🙂", "a" * 2000, "..", "%00", "ws_%2F..%2F", "INV%2F2026%2F999999",
               "INV%2F0000%2F000000", "INV%2F2026%2F" + "9" * 300]


def _fill(path: str, value: str, params: dict[str, str]) -> str:
    return re.sub(r"{(\w+)[^}]*}", lambda m: params.get(m.group(1), value), path)


ODD_KEYS = {"a.b": 5, "$where": 5, "": 5, " ": 5, "🙂": 5, "x" * 3000: 5, "\u0000": 5}
EXTRA_BODIES = {
    "UpdateWorkspace": [("odd-rate-keys", {"rate_overrides": ODD_KEYS}),
                        ("many-rates", {"rate_overrides": {f"c{i}": 1 for i in range(5000)}}),
                        ("odd-phones", {"phone_number_ids": ["１２３", "١٢٣", "12 3", "+62"]})],
    "CreateWorkspace": [("odd-phones", {"name": "x", "phone_number_ids": ["１２３"]}),
                        ("foreign-reseller", {"name": "x", "phone_number_ids": ["555"],
                                              "reseller_id": {"$ne": None}})],
    "PlanIn": [("odd-rate-keys", {**VALID_BODIES["PlanIn"], "rates": {
        k: {"amount": 1} for k in ODD_KEYS}})],
    "SubscriptionChangeIn": [("odd-addons", {"plan": "growth", "period": "monthly",
                                             "addons": [{"addon_id": "$x", "quantity": 1}]})],
}


def _body_cases(model: str | None) -> list[tuple[str, object]]:
    base = VALID_BODIES.get(model or "", {})
    cases: list[tuple[str, object]] = [("missing-fields", {}), ("unknown-field", {
        **base, "surprise": 1}), *EXTRA_BODIES.get(model or "", [])]
    for field in base:
        cases += [(f"{field}={v!r:.20}", {**base, field: v}) for v in BAD_VALUES]
    return cases


@pytest.fixture
async def caller(api):
    ws, key = await api.create_workspace([PHONE_A])
    return ws, key


def _who(path: str, key: str) -> dict:
    """The admin reaches every route (and past every role check) with the same validation."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def _check(resp, label: str, failures: list[str]) -> None:
    if resp.status >= 500:
        failures.append(f"{label}: {resp.status} {await resp.text()}")
        return
    if resp.status >= 400 and resp.content_type == "application/json":
        body = await resp.json()
        error = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(error, dict) and isinstance(error.get("code"), str)
                and isinstance(error.get("message"), str) and set(body) == {"error"}):
            failures.append(f"{label}: {resp.status} not an error shape: {body}")


def _bearer_routes():
    return [r for r in ROUTES if r.auth == "bearer"]


async def test_malformed_bodies_never_answer_500(api, caller):
    ws, key = caller
    failures: list[str] = []
    for r in _bearer_routes():
        if r.method not in ("POST", "PUT", "PATCH"):
            continue
        url = _fill(r.path, "growth", {"ws": ws})
        headers = _who(r.path, key)
        for name, body in _body_cases(r.body.__name__ if r.body else None):
            resp = await api.client.request(r.method, url, data=json.dumps(body).encode(),
                                            headers={**headers,
                                                     "Content-Type": "application/json"})
            await _check(resp, f"{r.method} {r.path} {name}", failures)
        for name, (raw, ctype) in RAW_BODIES.items():
            resp = await api.client.request(r.method, url, data=raw,
                                            headers={**headers, "Content-Type": ctype})
            await _check(resp, f"{r.method} {r.path} raw {name}", failures)
        resp = await api.client.request(r.method, url, headers=headers)   # no body at all
        await _check(resp, f"{r.method} {r.path} no body", failures)
    assert failures == [], "\n".join(failures)


async def test_malformed_query_parameters_never_answer_500(api, caller):
    ws, key = caller
    failures: list[str] = []
    for r in _bearer_routes():
        if r.method != "GET":
            continue
        url = _fill(r.path, "INV%2F2026%2F000001", {"ws": ws, "id": "free"})
        for name in QUERY_NAMES:
            for value in QUERY_VALUES:
                resp = await api.client.get(url, params={name: value},
                                            headers=_who(r.path, key))
                await _check(resp, f"GET {r.path}?{name}={value[:20]!r}", failures)
    assert failures == [], "\n".join(failures)


async def test_malformed_path_parameters_never_answer_500(api, caller):
    ws, key = caller
    failures: list[str] = []
    for r in ROUTES:
        if "{" not in r.path:
            continue
        for value in PATH_VALUES:
            for params in ({}, {"ws": ws}):
                url = _fill(r.path, value, params)
                body = b"{}" if r.method in ("POST", "PUT", "PATCH") else None
                resp = await api.client.request(r.method, url, data=body, headers={
                    **_who(r.path, key), "Content-Type": "application/json"})
                await _check(resp, f"{r.method} {url[:80]}", failures)
    assert failures == [], "\n".join(failures)


async def test_odd_headers_never_answer_500(api, caller):
    ws, key = caller
    failures: list[str] = []
    url = f"/v1/workspaces/{ws}/topups"
    body = json.dumps(VALID_BODIES["TopupIn"]).encode()
    odd = [{"Authorization": "Bearer " + "x" * 8000}, {"Authorization": "Bearer 🙂".encode()
                                                         .decode("latin-1")},
           {"Idempotency-Key": "🙂".encode().decode("latin-1")},
           {"Idempotency-Key": " "}, {"Accept-Language": "🙂;q=abc,,,"},
           {"Accept-Language": "en-US;q=0.1, id;q=0.9"}, {"Content-Type": "application/json; charset=klingon"}]
    for extra in odd:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                   **extra}
        resp = await api.client.post(url, data=body, headers=headers)
        await _check(resp, f"headers {extra!r:.60}", failures)
    assert failures == [], "\n".join(failures)


async def test_workspace_rate_overrides_accept_only_pricing_categories(api, caller):
    ws, _ = caller
    for overrides in ({"\u0000": 5}, {"a.b": 5}, {"$where": 5}, {" ": 5},
                      {f"c{i}": 1 for i in range(51)}):
        resp = await api.client.patch(f"/v1/workspaces/{ws}", json={"rate_overrides": overrides},
                                      headers=_who("", ""))
        assert resp.status == 422, await resp.text()
        assert (await resp.json())["error"]["field"] == "rate_overrides"
    resp = await api.client.patch(f"/v1/workspaces/{ws}", headers=_who("", ""), json={
        "rate_overrides": {" Marketing ": 500, "authentication-international": 400}})
    assert resp.status == 200, await resp.text()
    assert sorted((await resp.json())["rate_overrides"]) == ["authentication-international",
                                                             "marketing"]


async def test_a_plan_rate_category_with_a_nul_is_422(api):
    resp = await api.client.put("/v1/admin/plans/growth", headers=_who("", ""), json={
        **VALID_BODIES["PlanIn"], "rates": {"\u0000": {"amount": 1}}})
    assert resp.status == 422


@pytest.mark.parametrize("name", ["Toko 🙂 東京 \u202eevil", "x" * 200, "Ünïcödé €uro \u0000"])
async def test_an_invoice_pdf_renders_whatever_the_workspace_is_called(api, name):
    resp = await api.client.post("/v1/workspaces", headers=_who("", ""), json={
        "name": name, "phone_number_ids": [PHONE_A]})
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    ws, key = created["workspace"]["id"], created["api_key"]
    resp = await api.client.post(f"/v1/workspaces/{ws}/topups", json=VALID_BODIES["TopupIn"],
                                 headers={"Authorization": f"Bearer {key}"})
    code = (await resp.json())["invoice"]["code"]
    for lang in ("id", "en"):
        resp = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}.pdf", headers={
            "Authorization": f"Bearer {key}", "Accept-Language": lang})
        assert resp.status == 200, await resp.text()
        assert (await resp.read()).startswith(b"%PDF")
