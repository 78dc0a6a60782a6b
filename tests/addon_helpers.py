"""Helpers for add-on and reseller tests (issue 5): the seeds' example add-ons as API bodies,
and small API calls."""
from __future__ import annotations

from tests.helpers import ADMIN_TOKEN, Api, fill_billing_info, press_pay

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def addon_body(name: str, **extra) -> dict:
    """A valid add-on: recurring, unit-priced Rp10.000 a month, on every plan."""
    return {"name": name, "display_name": name.replace("-", " ").title(),
            "description": "", "type": "users", "consumption": 1,
            "applicable_plans": "all", "billing": "recurring", "pricing_scheme": "unit",
            "periods": {"monthly": {"currency": "IDR", "amount": 10_000}},
            "max_quantity": 50, **extra}


# The agency's examples (the seeds of the story in issue 5)
WA_CONV = addon_body(
    "wa-conv-1000", display_name="Extra 1.000 WhatsApp conversations",
    type="conversation_credit", consumption=30_000, applicable_plans=["growth", "pro"],
    billing="one_time", periods={"monthly": {"currency": "IDR", "amount": 30_000}})
MESSAGE_PACK = addon_body(
    "broadcast-pack-500", display_name="500 broadcast messages", type="broadcast_credit",
    consumption=325_000, billing="one_time",
    periods={"monthly": {"currency": "IDR", "amount": 300_000}})
EXTRA_USER = addon_body(
    "additional-user", display_name="Additional User", type="users", consumption=1,
    limits=[{"key": "users", "value": 1, "action": "increment"}],
    periods={"monthly": {"currency": "IDR", "amount": 49_000},
             "yearly": {"currency": "IDR", "amount": 490_000}})
EXTRA_CONTACTS = addon_body(
    "additional-contacts", display_name="Additional 1.000 contacts", type="contacts",
    consumption=1000, limits=[{"key": "contacts", "value": 1000, "action": "increment"}],
    periods={"monthly": {"currency": "IDR", "amount": 25_000}})
FEATURE_BUNDLE = addon_body(
    "developer-bundle", display_name="Developer bundle", type="feature", consumption=1,
    entitlements=["api_access", "webhooks"], allow_multiple=False, max_quantity=1,
    applicable_plans=["pro"], periods={"monthly": {"currency": "IDR", "amount": 150_000}})


async def create_addon(api: Api, body: dict) -> dict:
    resp = await api.client.post("/v1/admin/addons", json=body, headers=ADMIN)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def create_reseller(api: Api, name: str = "Mitra Jaya") -> tuple[str, str]:
    resp = await api.client.post("/v1/admin/resellers", json={"name": name}, headers=ADMIN)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    return body["reseller"]["id"], body["api_key"]


async def reseller_workspace(api: Api, key: str, phone: str) -> tuple[str, str]:
    """A workspace created by a reseller's key → (workspace id, its key)."""
    resp = await api.client.post("/v1/workspaces", json={"name": "Toko", "phone_number_ids":
                                                         [phone]}, headers=api.auth(key))
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    await fill_billing_info(api, body["workspace"]["id"], body["api_key"])
    return body["workspace"]["id"], body["api_key"]


def addons_url(ws: str, addon_id: str = "") -> str:
    return f"/v1/workspaces/{ws}/subscription/addons" + (f"/{addon_id}" if addon_id else "")


async def buy(api: Api, ws: str, key: str, addon_id: str, quantity: int = 1,
              headers: dict | None = None):
    return await api.client.post(addons_url(ws), json={"addon_id": addon_id,
                                                       "quantity": quantity},
                                 headers={**api.auth(key), **(headers or {})})


async def bought(api: Api, ws: str, key: str, addon_id: str, quantity: int = 1) -> dict:
    resp = await buy(api, ws, key, addon_id, quantity)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def buy_and_pay(api: Api, ws: str, key: str, addon_id: str, quantity: int = 1) -> dict:
    placed = await bought(api, ws, key, addon_id, quantity)
    resp = await press_pay(api, placed["payment"]["id"])
    assert resp.status == 200, await resp.text()
    return placed


async def set_quantity(api: Api, ws: str, key: str, addon_id: str, quantity: int):
    return await api.client.patch(addons_url(ws, addon_id), json={"quantity": quantity},
                                  headers=api.auth(key))


async def stop(api: Api, ws: str, key: str, addon_id: str, when: str | None = None):
    params = {"when": when} if when else {}
    return await api.client.delete(addons_url(ws, addon_id), params=params,
                                   headers=api.auth(key))


async def held(api: Api, ws: str, key: str) -> dict[str, dict]:
    resp = await api.client.get(f"/v1/workspaces/{ws}/subscription", headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return {a["addon_id"]: a for a in (await resp.json())["addons"]}


async def check(api: Api, ws: str, key: str, what: str, amount: int | None = None) -> dict:
    body = {"key": what} if amount is None else {"key": what, "amount": amount}
    resp = await api.client.post(f"/v1/workspaces/{ws}/entitlements/check", json=body,
                                 headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()
