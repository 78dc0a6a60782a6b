"""The tenant-isolation matrix: every route the app serves × every principal (none, a garbage key,
the tenant's own workspace key, another workspace's, its own reseller's, another reseller's, the
admin's), with path ids from two seeded tenants (workspace A of reseller R1, workspace B of R2).
Each route has one row in ACCESS saying who may use it; a route without a row (or a row without
a route) fails the test, so a new route cannot ship without deciding its row. Expected per
principal (api-contract §2: wrong or missing key 401, right key and wrong tenant 404):
- nobody and a garbage key: 401 `unauthorized` on every bearer route;
- a principal the row does not admit: 404 `not_found`, on a `{ws}` route exactly what a
  workspace that does not exist answers; A's state unchanged after all of them;
- an admitted principal: never 401, 403 or "workspace not found";
- nobody gets a 5xx, and no 2xx answer to another tenant names A's workspace, invoice or payment.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from handlers.invoices import SLASHED_CODE_PATH, SLASHED_PAY_PATH
from handlers.routes import ROUTES
from tests.addon_helpers import ADMIN, addon_body, bought, create_addon, create_reseller
from tests.addon_helpers import reseller_workspace
from tests.workspaces.test_tenancy import (BROWSER_PAGES, MISSING_WS, VALID_BODIES, _app_routes,
                                         _call, _error_of, _fill, _state_of_a)
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, press_pay

# Who may use each route (handlers' RouteTable declarations; the contract's "who" column):
PUBLIC = "public"        # anyone (auth="none")
SIGNED = "signed"        # a provider's HMAC signature, never a bearer key (auth="signature")
ADMIN_ONLY = "admin"     # the agency
MANAGERS = "managers"    # admin and resellers (a reseller: its own workspaces only)
ANY_KEY = "any key"      # any valid key
TENANT = "tenant"        # the workspace, its reseller, the admin
MANAGED = "managed"      # the workspace's reseller, the admin (not the workspace itself)

WS = "/v1/workspaces/{ws}"
ACCESS: dict[tuple[str, str], str] = {
    **{("GET", p): PUBLIC for p in ("/healthz", "/readyz", "/openapi.json", "/v1/plans",
                                     "/webhooks/whatsapp", "/sandbox/checkout/{payment_id}")},
    # the sandbox checkout is a capability link: whoever holds it may pay (README, sandbox)
    ("POST", "/sandbox/checkout/{payment_id}/pay"): PUBLIC,
    ("POST", "/sandbox/checkout/{payment_id}/fail"): PUBLIC,
    ("POST", "/webhooks/whatsapp"): SIGNED,
    ("POST", "/webhooks/payments/{provider}"): SIGNED,
    # open while SALDO_METRICS_TOKEN is unset, as here; with it set: tests/metrics/
    ("GET", "/metrics"): PUBLIC,
    **{(m, p): ADMIN_ONLY for m, p in [
        ("POST", "/v1/admin/addons"), ("GET", "/v1/admin/addons"), ("GET", "/v1/admin/addons/{id}"),
        ("PATCH", "/v1/admin/addons/{id}"), ("DELETE", "/v1/admin/addons/{id}"),
        ("POST", "/v1/admin/addons/{id}/activate"), ("POST", "/v1/admin/addons/{id}/deactivate"),
        ("GET", "/v1/admin/payments"), ("GET", "/v1/admin/plans/{id}"),
        ("PUT", "/v1/admin/plans/{id}"), ("GET", "/v1/admin/billing-policy"),
        ("PUT", "/v1/admin/billing-policy"), ("POST", "/v1/admin/resellers"),
        ("GET", "/v1/admin/resellers"), ("GET", "/v1/admin/reconcile"),
        ("GET", "/v1/admin/webhooks/parked"), ("POST", "/v1/admin/webhooks/parked/{id}/retry"),
        ("GET", "/v1/admin/tax"), ("PUT", "/v1/admin/tax"),
        ("POST", "/v1/admin/payments/{id}/refund")]},
    ("POST", "/v1/workspaces"): MANAGERS,
    ("GET", "/v1/workspaces"): MANAGERS,
    ("GET", "/v1/addons"): ANY_KEY,
    ("GET", "/v1/events"): ANY_KEY,        # each sees its own (tests/events/)
    ("GET", WS + "/balance-alerts"): TENANT,
    ("PUT", WS + "/balance-alerts"): TENANT,
    ("PATCH", WS): MANAGED,
    ("POST", WS + "/api-key"): MANAGED,
    ("POST", WS + "/portal-sessions"): TENANT,
    **{(m, WS + p): TENANT for m, p in [
        ("GET", ""), ("GET", "/invoices"), ("GET", "/invoices/{code}.pdf"),
        ("GET", "/invoices/{code}"), ("POST", "/topups"), ("GET", "/topups"),
        ("GET", "/subscription"), ("POST", "/subscription/quote"),
        ("POST", "/subscription/change"), ("POST", "/subscription/renew"),
        ("POST", "/subscription/cancel"), ("DELETE", "/subscription/scheduled-change"),
        ("PUT", "/usage"), ("POST", "/subscription/addons"),
        ("PATCH", "/subscription/addons/{addon_id}"), ("DELETE", "/subscription/addons/{addon_id}"),
        ("POST", "/entitlements/check"), ("GET", "/wallet"), ("GET", "/wallet/usage"),
        ("POST", "/wallet/authorize"), ("POST", "/invoices/{code}/pay"),
        ("GET", "/topups/limits"), ("GET", "/billing-info"), ("PUT", "/billing-info"),
        ("POST", "/previews"), ("GET", "/credit")]},
    # issue 15: an endpoint is its owner's; a workspace's is also its reseller's and the admin's
    ("POST", "/v1/webhook-endpoints"): ANY_KEY,
    ("GET", "/v1/webhook-endpoints"): ANY_KEY,
    **{(m, "/v1/webhook-endpoints/{endpoint_id}" + p): TENANT for m, p in [
        ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret"),
        ("GET", "/attempts"), ("POST", "/events/{event_id}/resend")]},
}
# Served under a row's path template too (same formatter): asked with the row's principals.
VARIANTS = {SLASHED_CODE_PATH: ("GET", WS + "/invoices/{code}"),   # a code's raw slashes
            SLASHED_PAY_PATH: ("POST", WS + "/invoices/{code}/pay")}
PRINCIPALS = ("none", "garbage", "own_ws", "other_ws", "own_reseller", "other_reseller", "admin")
ADMITTED = {PUBLIC: set(PRINCIPALS), SIGNED: set(), ADMIN_ONLY: {"admin"},
            MANAGERS: {"own_reseller", "other_reseller", "admin"},
            ANY_KEY: {"own_ws", "other_ws", "own_reseller", "other_reseller", "admin"},
            TENANT: {"own_ws", "own_reseller", "admin"}, MANAGED: {"own_reseller", "admin"}}
BODIES = {**VALID_BODIES, "AddonQuantityIn": {"quantity": 2},
          "EntitlementCheckIn": {"key": "users"},
          "SubscriptionChangeIn": {"plan": "pro", "period": "monthly"},
          "PreviewIn": {"kind": "topup", "balance": "conversation", "amount": 50_000},
          "CreateWorkspace": {"name": "Matrix", "phone_number_ids": ["6281100001111"]},
          "WebhookEndpointIn": {"url": "https://93.184.216.34/hook"},
          "WebhookEndpointPatch": {"description": "matrix"}}


@pytest.fixture
async def world(api):
    """A of reseller R1 (a pending top-up: invoice code and payment; a paid add-on), B of R2."""
    r1, r1_key = await create_reseller(api, "R1")
    _, r2_key = await create_reseller(api, "R2")
    ws_a, key_a = await reseller_workspace(api, r1_key, PHONE_A)
    _, key_b = await reseller_workspace(api, r2_key, PHONE_B)
    addon = await create_addon(api, addon_body("matrix-user"))
    paid = await bought(api, ws_a, key_a, addon["id"])
    assert (await press_pay(api, paid["payment"]["id"])).status == 200
    resp = await api.client.post(f"/v1/workspaces/{ws_a}/topups", headers=api.auth(key_a),
                                 json={"balance": "conversation", "amount": 50_000})
    assert resp.status == 201, await resp.text()
    topup = await resp.json()
    keys = {"own_ws": key_a, "other_ws": key_b, "own_reseller": r1_key,
            "other_reseller": r2_key, "admin": ADMIN_TOKEN, "garbage": "sk_ws_not_a_key"}
    ids = {"ws": ws_a, "code": topup["invoice"]["code"], "addon_id": addon["id"],
           "payment_id": topup["payment"]["id"], "provider": "sandbox"}
    resp = await api.client.post("/v1/webhook-endpoints", headers=api.auth(key_a),
                                 json={"url": "https://93.184.216.34/hook"})
    ids["endpoint_id"] = (await resp.json())["endpoint"]["id"]        # A's webhook endpoint
    ids["event_id"] = f"{paid['payment']['id']}:payment.succeeded"      # an event of A
    return {"keys": keys, "ids": ids, "secrets": [ws_a, ids["code"], ids["payment_id"], key_a]}


def _url(path: str, ids: dict, ws: str | None = None) -> str:
    code = ids["code"] if path in VARIANTS else quote(ids["code"], safe="")
    other = {"id": "growth" if path.startswith("/v1/admin/plans") else ids["addon_id"]}
    return _fill(path, {**ids, **other, "code": code, **({"ws": ws} if ws else {})})


def _bodies(method: str, path: str) -> list:
    """None for a read; for a write `{}` (refused before validation?) and, first, a valid body
    when we know one (refused before acting?)."""
    if method not in ("POST", "PUT", "PATCH", "DELETE"):
        return [None]
    spec = next((r for r in ROUTES if (r.method, r.path) == (method, path)), None)
    valid = BODIES.get(spec.body.__name__) if spec and spec.body else None
    return [valid, {}] if valid else [{}]


async def _ask(api, world, method: str, path: str, who: str, ws: str | None = None,
               body: object = ...):
    key = world["keys"].get(who)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = _bodies(method, path)[0] if body is ... else body
    resp = await _call(api, method, _url(path, world["ids"], ws), body, headers)
    status, body = await _error_of(resp)
    if status == 201 and path.endswith("/api-key") and ws is None:
        world["keys"]["own_ws"] = body["api_key"]        # the old key is revoked now
    return status, body


def _code(body) -> str | None:
    return ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None


async def _refused(api, world, method: str, path: str, row: str, who: str) -> str | None:
    """A principal the row does not admit. → a failure line, or None."""
    for sent in _bodies(method, path):
        status, body = await _ask(api, world, method, path, who, body=sent)
        if row == SIGNED:                 # no bearer key stands for a signature
            ok = status == 401
        elif who in ("none", "garbage"):
            ok = (status, _code(body)) == (401, "unauthorized")
        elif "{ws}" in path and who != "own_ws":
            ok = status == 404 and (status, body) == await _ask(
                api, world, method, path, who, ws=MISSING_WS, body=sent)
        else:
            ok = (status, _code(body)) == (404, "not_found")
        if not ok:
            return f"{who}: {method} {path} {sent}: refused wrongly: {status} {body}"
    return None


async def _admitted(api, world, method: str, path: str, row: str, who: str) -> str | None:
    status, body = await _ask(api, world, method, path, who)
    error = (body or {}).get("error") if isinstance(body, dict) else None
    if status >= 500 or (status in (401, 403) and path.startswith("/v1")) or (
            error and error.get("field") == "workspace_id"):
        return f"{who}: {method} {path}: admitted but {status} {body}"
    return None


def _leaks(world, who: str, status: int, body) -> bool:
    return who in ("other_ws", "other_reseller") and 200 <= status < 300 and any(
        s in str(body) for s in world["secrets"])


def _cells():
    """(method, path asked, its row): every row, and each variant under its row."""
    rows = [(m, p, row) for (m, p), row in ACCESS.items()]
    return sorted(rows + [(key[0], p, ACCESS[key]) for p, key in VARIANTS.items()])


async def test_every_route_has_a_row_in_the_matrix(api):
    served = set(_app_routes(api))
    assert served == set(ACCESS), (f"routes without a row: {sorted(served - set(ACCESS))}; "
                                   f"rows without a route: {sorted(set(ACCESS) - served)}")
    handlers = [r for r in api.client.app.router.routes() if r.method not in ("HEAD", "*")
                and not (r.resource and r.resource.canonical.startswith(BROWSER_PAGES))]
    assert len(handlers) == len(ACCESS) + len(VARIANTS)       # no second route under a row
    declared = {r.auth for r in ROUTES if ACCESS[(r.method, r.path)] in (PUBLIC, SIGNED)}
    assert declared <= {"none", "signature"}                       # rows agree with RouteSpec
    assert all((r.auth == "bearer") == (ACCESS[(r.method, r.path)] not in (PUBLIC, SIGNED))
               for r in ROUTES)


async def test_no_principal_reaches_what_its_row_refuses(api, world):
    """Strangers first (A's state unchanged after them), then those the row admits."""
    ws_a, key_a = world["ids"]["ws"], world["keys"]["own_ws"]
    before = await _state_of_a(api, ws_a, key_a)
    failures, cells = [], 0
    for method, path, row in _cells():
        for who in sorted(set(PRINCIPALS) - ADMITTED[row]):
            cells += 1
            failures.append(await _refused(api, world, method, path, row, who))
    assert [f for f in failures if f] == [], "\n".join(f for f in failures if f)
    assert await _state_of_a(api, ws_a, key_a) == before
    for method, path, row in sorted(_cells(), key=lambda cell: cell[1].endswith("/api-key")):
        for who in sorted(ADMITTED[row]):
            cells += 1
            failures.append(await _admitted(api, world, method, path, row, who))
    assert [f for f in failures if f] == [], "\n".join(f for f in failures if f)
    assert cells == len(_cells()) * len(PRINCIPALS) > 350


async def test_no_answer_to_another_tenant_names_a_tenants_data(api, world):
    """Every route, as B's workspace and as R2, on A's ids: nothing of A in a 2xx answer,
    never a 5xx (the public checkout link excepted: it is the capability to pay A's invoice)."""
    failures = []
    for method, path, _ in _cells():
        if path.startswith("/sandbox/") or method != "GET":
            continue
        for who in ("other_ws", "other_reseller"):
            status, body = await _ask(api, world, method, path, who)
            if status >= 500 or _leaks(world, who, status, body):
                failures.append(f"{who}: {method} {path}: {status} {str(body)[:300]}")
    assert failures == [], "\n".join(failures)
    resp = await api.client.get("/v1/workspaces", headers=ADMIN)
    assert world["ids"]["ws"] in await resp.text()             # the check can see a leak


async def test_a_query_naming_another_tenant_is_refused(api, world):
    """`GET /v1/addons?workspace_id=` names a tenant outside the path: another reseller gets
    the 404 of a missing workspace. (A workspace key: its own catalog today, whatever it names;
    issue 17 item 6 makes that a 404 too; either way nothing of A.)"""
    ws_a = world["ids"]["ws"]
    for who in ("other_reseller", "other_ws", "own_ws", "own_reseller", "admin"):
        key = world["keys"][who]
        resp = await api.client.get("/v1/addons", params={"workspace_id": ws_a},
                                    headers=api.auth(key))
        missing = await api.client.get("/v1/addons", params={"workspace_id": MISSING_WS},
                                       headers=api.auth(key))
        got, body = resp.status, await resp.json()
        if who == "other_reseller":
            assert (got, body) == (missing.status, await missing.json()) and got == 404, body
        elif who == "other_ws":
            assert got in (200, 404) and not _leaks(world, who, got, body), body
        else:
            assert got == 200 and body["addons"], (who, body)
