"""Helpers for subscription and billing-run tests (issue 4)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from service.subscriptions.billing_run import run_pass
from tests.helpers import ADMIN_TOKEN, Api, app_services, press_pay

WIB = ZoneInfo("Asia/Jakarta")
IMMEDIATE_UPGRADES = [{"timing": "immediate", "direction": "upgrade"}]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def base(ws: str) -> str:
    return f"/v1/workspaces/{ws}/subscription"


async def subscription(api: Api, ws: str, key: str) -> dict:
    resp = await api.client.get(base(ws), headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def post(api: Api, ws: str, key: str, action: str, body: dict | None = None,
               headers: dict | None = None):
    kwargs = {"json": body} if body is not None else {}
    return await api.client.post(f"{base(ws)}/{action}", headers={**api.auth(key),
                                                                  **(headers or {})}, **kwargs)


async def change(api: Api, ws: str, key: str, plan: str, period: str = "monthly") -> dict:
    resp = await post(api, ws, key, "change", {"plan": plan, "period": period})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def renew(api: Api, ws: str, key: str) -> dict:
    resp = await post(api, ws, key, "renew")
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def pay(api: Api, placed: dict) -> None:
    resp = await press_pay(api, placed["payment"]["id"])
    assert resp.status == 200, await resp.text()


async def invoices(api: Api, ws: str, key: str, **query) -> list[dict]:
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices",
                                params={"limit": "200", **query}, headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return (await resp.json())["invoices"]


async def set_policy(api: Api, rules: list[dict]) -> None:
    resp = await api.client.put("/v1/admin/billing-policy", json={"rules": rules},
                                headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 200, await resp.text()


async def run_due(api: Api, at: datetime) -> dict:
    """One billing pass at `at` (the clock moves there first: issue 3's expiry reads it)."""
    api.clock.set(at)
    return await run_pass(app_services(api), at)


async def granted(api: Api, ws: str, key: str) -> int:
    return (await api.amounts(ws, key))["conversation"][0]
