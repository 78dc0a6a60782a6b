"""Property: for random plans, periods, add-ons, quantities, policies and instants, every order
answers with exactly the lines and totals its preview showed, and a preview that is refused
is refused by its order with the same code, also with PPN configured (exclusive or inclusive,
rates per product kind, an exempt add-on). `random.Random(seed)`: a failure names its seed."""
import random
from datetime import timedelta

import pytest

from tests.addon_helpers import EXTRA_CONTACTS, EXTRA_USER, WA_CONV, addon_body, create_addon
from tests.conftest import START
from tests.invoices.test_invoice_tax import put_tax, rate, schedule
from tests.helpers import press_pay
from tests.previews.preview_helpers import order, same
from tests.subscription_helpers import IMMEDIATE_UPGRADES, set_policy

CHOICES = [("free", "monthly"), ("growth", "monthly"), ("growth", "quarterly"),
           ("growth", "yearly"), ("pro", "monthly"), ("pro", "yearly")]
TIERED = addon_body("tiered-seat", display_name="Tiered seat", pricing_scheme="tier",
                    periods={"monthly": {"currency": "IDR", "brackets": [
                        {"from": 1, "to": 3, "amount": 20_000},
                        {"from": 4, "to": None, "amount": 15_000}]},
                        "yearly": {"currency": "IDR", "brackets": [
                            {"from": 1, "to": None, "amount": 200_000}]}})
USD = addon_body("usd-seat", display_name="USD Seat", periods={"monthly": {
    "currency": "USD", "amount": 14_400}})
EXEMPT = addon_body("exempt-seat", display_name="Exempt seat", tax_exempt=True,
                    periods={"monthly": {"currency": "IDR", "amount": 33_333},
                             "yearly": {"currency": "IDR", "amount": 333_333}})
KINDS = ["plan_change", "renewal", "addon_purchase", "addon_quantity", "addon_stop", "topup"]


@pytest.fixture
async def catalog(api):
    return [(await create_addon(api, body))["id"]
            for body in (EXTRA_USER, EXTRA_CONTACTS, WA_CONV, TIERED, USD)]


@pytest.fixture
async def catalog_with_exempt(api, catalog):
    return catalog + [(await create_addon(api, EXEMPT))["id"]]


def _fields(rnd: random.Random, kind: str, catalog: list[str], held: list[str]) -> dict:
    """Quantity changes and stops mostly of an add-on held (else: 404, also a property)."""
    addon, quantity = rnd.choice(held if held and kind.startswith("addon_") and
                                 kind != "addon_purchase" else catalog), rnd.randint(1, 6)
    if kind == "plan_change":
        plan, period = rnd.choice(CHOICES)
        return {"plan": plan, "period": period, "addons": [
            {"addon_id": a, "quantity": rnd.randint(1, 5)}
            for a in rnd.sample(catalog, rnd.randint(0, 2))]}
    if kind == "topup":
        return {"balance": rnd.choice(["conversation", "broadcast"]),
                "amount": rnd.randint(10_000, 1_000_000)}
    return {} if kind == "renewal" else {"addon_id": addon, "quantity": quantity}


async def _asked(api, ws: str, key: str, kind: str, fields: dict):
    body = {"kind": kind, **fields}
    if kind == "addon_stop":
        body.pop("quantity")
    resp = await api.client.post(f"/v1/workspaces/{ws}/previews", json=body,
                                 headers=api.auth(key))
    assert resp.status < 500, await resp.text()
    return resp.status, await resp.json()


async def _order_refused(api, ws: str, key: str, kind: str, fields: dict) -> str:
    try:
        await order(api, ws, key, kind, **fields)
    except AssertionError as refused:
        return str(refused)
    raise AssertionError(f"{kind} {fields}: previewed as refused, but the order was placed")


async def _random_tax(api, rnd: random.Random) -> None:
    """PPN 11% or 12% x 11/12, exclusive or inclusive, on some product kinds."""
    ppn = rate(11) if rnd.random() < 0.5 else rate(12, base=(11, 12))
    kinds = rnd.sample(["plan", "addon", "topup"], rnd.randint(1, 3))
    await put_tax(api, schedule({kind: ppn for kind in kinds}, inclusive=rnd.random() < 0.5))


@pytest.mark.parametrize("block", range(3))
async def test_every_order_is_what_its_preview_showed(api, catalog, block):
    await _every_order(api, catalog, range(block * 12, block * 12 + 12), taxed=False)


@pytest.mark.parametrize("block", range(2))
async def test_with_ppn_every_order_is_what_its_preview_showed_tax_included(
        api, catalog_with_exempt, block):
    await _every_order(api, catalog_with_exempt, range(100 + block * 12, 100 + block * 12 + 12),
                       taxed=True)


async def _every_order(api, catalog, seeds, taxed: bool) -> None:
    shown = with_tax = 0
    for seed in seeds:
        rnd = random.Random(seed)
        if taxed:
            await _random_tax(api, rnd)
        api.clock.set(START + timedelta(days=seed * 400))
        plan, _ = rnd.choice(CHOICES[1:] + [("free", "monthly")])
        ws, key = await api.create_workspace([f"6281{seed:09d}"], plan=plan)
        await set_policy(api, IMMEDIATE_UPGRADES if rnd.random() < 0.5 else [])
        held = []
        for addon in rnd.sample(catalog, rnd.randint(0, 2)):
            resp = await api.client.post(f"/v1/workspaces/{ws}/subscription/addons",
                                         json={"addon_id": addon, "quantity": rnd.randint(1, 4)},
                                         headers=api.auth(key))
            if resp.status == 201:
                await press_pay(api, (await resp.json())["payment"]["id"])
                held.append(addon)
        api.clock.advance(timedelta(days=rnd.randint(0, 27), seconds=rnd.randint(0, 86_399)))
        kind = rnd.choice(KINDS)
        fields = _fields(rnd, kind, catalog, held)
        status, p = await _asked(api, ws, key, kind, fields)
        if status != 200:
            refused = await _order_refused(api, ws, key, kind, fields)
            assert p["error"]["code"] in refused, (seed, kind, fields, p, refused)
            continue
        same(p, await order(api, ws, key, kind, **fields))
        shown += 1
        with_tax += bool(p["taxes"])
    assert shown >= 4      # most seeds place an order, not only refusals
    assert with_tax >= 2 if taxed else with_tax == 0
