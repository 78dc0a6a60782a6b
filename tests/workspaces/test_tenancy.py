"""Tenancy, walked over the route table: every route of the running app with a `{ws}` path
parameter, called by another tenant, answers 404 exactly like a workspace that does not exist
(whatever the body, so tenancy is checked before the body is validated), and 401 without a key.
Admin routes refuse workspace and reseller keys. New routes are covered as they are registered.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from handlers.routes import ROUTES
from service.runtime.context import SERVICES
from service.workspaces.workspaces import hash_key
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, PHONE_C

MISSING_WS = "ws_0000000000000000"

# Minimal valid bodies by request model; a route whose model is not listed gets `{}` only.
VALID_BODIES = {
    "TopupIn": {"balance": "conversation", "amount": 50_000},
    "SubscriptionChangeIn": {"plan": "growth", "period": "monthly"},
    "UsageReportIn": {"users": 1, "contacts": 1},
    "AuthorizeIn": {"kind": "reply", "count": 1},
    "UpdateWorkspace": {"name": "Mine now"},
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BROWSER_PAGES = ("/portal", "/panel", "/static/")


def _bodies_by_route() -> dict[tuple[str, str], str]:
    return {(r.method, r.path): r.body.__name__ for r in ROUTES if r.body}


def _app_routes(api) -> list[tuple[str, str]]:
    """(method, path template) of every API route the running app serves (ROUTES and extras).
    The portal's and the panel's pages are not bearer routes: their sessions are cookies, and
    their isolation is tested page by page (tests/portal, tests/panel)."""
    out = []
    for r in api.client.app.router.routes():
        info = r.resource.get_info() if r.resource else {}
        path = info.get("formatter") or info.get("path")
        if r.method in ("HEAD", "OPTIONS", "*") or not path or path.startswith(BROWSER_PAGES):
            continue
        out.append((r.method, path))
    return sorted(set(out))


def _fill(path: str, params: dict[str, str]) -> str:
    return re.sub(r"{(\w+)[^}]*}", lambda m: params.get(m.group(1), "x"), path)


def _attempts(method: str, path: str, bodies: dict) -> list[dict | None]:
    """The bodies to try: none for reads; for writes `{}` and a valid body when we know one."""
    if method not in WRITE_METHODS:
        return [None]
    model = bodies.get((method, path))
    valid = VALID_BODIES.get(model) if model else None
    return [{}, valid] if valid is not None else [{}]


async def _call(api, method: str, url: str, body, headers: dict):
    if body is None:
        return await api.client.request(method, url, headers=headers)
    return await api.client.request(method, url, json=body, headers=headers)


async def _error_of(resp) -> tuple[int, dict | None]:
    try:
        body = await resp.json(content_type=None)
    except ValueError:
        body = None
    return resp.status, body


def _codes(path: str, code: str) -> list[str]:
    """An invoice code as it may appear in a path: URL-encoded and with raw slashes."""
    return [quote(code, safe=""), code] if "{code}" in path else ["x"]


def _reseller_key(db, reseller_id: str, key: str):
    return db.api_keys.insert_one({"_id": hash_key(key), "role": "reseller",
                                   "reseller_id": reseller_id,
                                   "created_at": datetime.now(timezone.utc)})


@pytest.fixture
async def tenants(api):
    """Workspace A (with an unpaid top-up: an invoice code and a payment) and workspace B."""
    ws_a, key_a = await api.create_workspace([PHONE_A])
    ws_b, key_b = await api.create_workspace([PHONE_B])
    resp = await api.client.post(f"/v1/workspaces/{ws_a}/topups", headers=api.auth(key_a),
                                 json={"balance": "conversation", "amount": 50_000})
    assert resp.status == 201, await resp.text()
    code = (await resp.json())["invoice"]["code"]
    return {"a": (ws_a, key_a), "b": (ws_b, key_b), "code": code}


def _ws_routes(api) -> list[tuple[str, str]]:
    routes = [r for r in _app_routes(api) if "{ws}" in r[1]]
    assert len(routes) >= 16, routes     # the walk really walks
    return routes


async def _state_of_a(api, ws_a: str, key_a: str) -> dict:
    out = {}
    for part in ("wallet", "topups", "invoices", "subscription", ""):
        resp = await api.client.get(f"/v1/workspaces/{ws_a}/{part}".rstrip("/"),
                                    headers=api.auth(key_a))
        assert resp.status == 200, (part, await resp.text())
        out[part] = await resp.json()
    return out


async def _walk_as_stranger(api, tenants, headers: dict) -> list[str]:
    """Every {ws} route on A's workspace with `headers` must answer exactly what a missing
    workspace answers. → the failures, one line each."""
    ws_a, _ = tenants["a"]
    bodies = _bodies_by_route()
    failures = []
    for method, path in _ws_routes(api):
        for body, params in [(b, {"code": c}) for b in _attempts(method, path, bodies)
                             for c in _codes(path, tenants["code"])]:
            got = await _error_of(await _call(api, method, _fill(path, {**params, "ws": ws_a}),
                                              body, headers))
            missing = await _error_of(await _call(
                api, method, _fill(path, {**params, "ws": MISSING_WS}), body, headers))
            if got[0] != 404 or (got[1] or {}).get("error", {}).get("code") != "not_found":
                failures.append(f"{method} {path} body={body}: {got}")
            elif got != missing:
                failures.append(f"{method} {path} body={body}: {got} differs from a missing "
                                f"workspace's {missing}")
    return failures


async def test_another_workspaces_key_gets_404_on_every_workspace_route(api, tenants):
    ws_a, key_a = tenants["a"]
    _, key_b = tenants["b"]
    before = await _state_of_a(api, ws_a, key_a)
    failures = await _walk_as_stranger(api, tenants, api.auth(key_b))
    assert failures == [], "\n".join(failures)
    assert await _state_of_a(api, ws_a, key_a) == before


async def test_another_resellers_key_gets_404_on_every_workspace_route(api, tenants):
    db = api.client.app[SERVICES].db
    await db.resellers.insert_many([{"_id": "rs_one"}, {"_id": "rs_two"}])
    await _reseller_key(db, "rs_one", "sk_rs_one")
    await _reseller_key(db, "rs_two", "sk_rs_two")
    resp = await api.client.post("/v1/workspaces", headers=api.auth("sk_rs_one"), json={
        "name": "Reseller One's", "phone_number_ids": [PHONE_C]})
    assert resp.status == 201, await resp.text()
    ws_r1 = (await resp.json())["workspace"]["id"]
    # reseller two: neither reseller one's workspace nor an agency-direct one (A)
    failures = await _walk_as_stranger(api, {**tenants, "a": (ws_r1, None)},
                                       api.auth("sk_rs_two"))
    failures += await _walk_as_stranger(api, tenants, api.auth("sk_rs_one"))
    assert failures == [], "\n".join(failures)
    resp = await api.client.get(f"/v1/workspaces/{ws_r1}", headers=api.auth("sk_rs_one"))
    assert resp.status == 200


async def test_a_reseller_key_without_a_reseller_sees_no_workspace(api, tenants):
    """A malformed reseller key (no reseller_id) must not match workspaces without one."""
    db = api.client.app[SERVICES].db
    await db.api_keys.insert_one({"_id": hash_key("sk_rs_broken"), "role": "reseller"})
    ws_a, _ = tenants["a"]
    for path in (f"/v1/workspaces/{ws_a}", f"/v1/workspaces/{ws_a}/wallet"):
        resp = await api.client.get(path, headers=api.auth("sk_rs_broken"))
        assert resp.status in (401, 404), await resp.text()
    resp = await api.client.post("/v1/workspaces", headers=api.auth("sk_rs_broken"),
                                 json={"name": "Nobody's", "phone_number_ids": [PHONE_C]})
    assert resp.status in (401, 404), await resp.text()


async def test_the_owner_reaches_every_workspace_route(api, tenants):
    """Control for the walks above: with the right key no route says the workspace is
    missing, so their 404s are about tenancy, not about a wrong path."""
    ws_a, key_a = tenants["a"]
    encoded = quote(tenants["code"], safe="")
    bodies = _bodies_by_route()
    failures = []
    for method, path in _ws_routes(api):
        for body in _attempts(method, path, bodies)[-1:]:
            url = _fill(path, {"ws": ws_a, "code": encoded})
            status, out = await _error_of(await _call(api, method, url, body,
                                                      api.auth(key_a)))
            error = (out or {}).get("error") if isinstance(out, dict) else None
            if status >= 500 or (error and error.get("field") == "workspace_id"):
                failures.append(f"{method} {path}: {status} {out}")
    assert failures == [], "\n".join(failures)


BAD_KEYS = {"none": None, "unknown": "Bearer sk_ws_unknown", "empty": "Bearer "}


async def test_every_bearer_route_is_401_without_a_valid_key(api, tenants):
    ws_a, _ = tenants["a"]
    encoded = quote(tenants["code"], safe="")
    bearer = {(r.method, r.path) for r in ROUTES if r.auth == "bearer"}
    bodies = _bodies_by_route()
    failures = []
    for method, path in _app_routes(api):
        if (method, path) not in bearer and "{ws}" not in path:
            continue
        for name, header in BAD_KEYS.items():
            headers = {} if header is None else {"Authorization": header}
            for body in _attempts(method, path, bodies):
                url = _fill(path, {"ws": ws_a, "code": encoded})
                status, out = await _error_of(await _call(api, method, url, body, headers))
                if status != 401 or (out or {}).get("error", {}).get("code") != "unauthorized":
                    failures.append(f"{name}: {method} {path} body={body}: {status} {out}")
    assert failures == [], "\n".join(failures)


async def test_admin_routes_refuse_workspace_and_reseller_keys(api, tenants):
    db = api.client.app[SERVICES].db
    await db.resellers.insert_one({"_id": "rs_one"})
    await _reseller_key(db, "rs_one", "sk_rs_one")
    _, key_a = tenants["a"]
    admin = [r for r in _app_routes(api) if r[1].startswith("/v1/admin")]
    assert len(admin) >= 4, admin
    failures = []
    for key in (key_a, "sk_rs_one"):
        for method, path in admin:
            for body in ([None] if method not in WRITE_METHODS else [{}]):
                status, out = await _error_of(await _call(
                    api, method, _fill(path, {"id": "free"}), body, api.auth(key)))
                if status not in (403, 404):
                    failures.append(f"{key[:8]}: {method} {path}: {status} {out}")
    assert failures == [], "\n".join(failures)
    resp = await api.client.get("/v1/admin/plans/free", headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200


async def test_a_workspace_key_cannot_create_workspaces(api, tenants):
    _, key_a = tenants["a"]
    resp = await api.client.post("/v1/workspaces", headers=api.auth(key_a),
                                 json={"name": "Mine", "phone_number_ids": ["999000999"]})
    assert resp.status == 404, await resp.text()
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_a_malformed_idempotency_key_without_auth_is_401(api, tenants):
    ws_a, _ = tenants["a"]
    resp = await api.client.post(f"/v1/workspaces/{ws_a}/topups",
                                 headers={"Idempotency-Key": "x" * 300},
                                 json={"balance": "conversation", "amount": 50_000})
    assert resp.status == 401
