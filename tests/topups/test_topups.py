"""Top-ups over HTTP: order → checkout page → Pay → credited once, invoice paid, PDF."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from service.payments import settlement
from service.runtime.app import create_app
from tests.helpers import (ADMIN_TOKEN, PHONE_A, PHONE_B, Api, app_services, order_topup,
                           press_pay, status, status_payload, topup)
from tests.pdf_text import pdf_text


async def test_whole_flow_checkout_pay_credits_once_and_invoice_pdf_is_downloadable(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, "conversation", 50_000)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["topup"]["status"] == "pending"
    assert body["topup"]["amount"] == {"amount": 50000, "currency": "IDR", "formatted": "Rp50.000"}
    invoice = body["invoice"]
    assert invoice["type"] == "topup" and invoice["status"] == "pending"
    assert invoice["code"] == "INV/2026/000001"
    assert invoice["package"] == "Top-up saldo percakapan WhatsApp Rp50.000"
    assert invoice["paid_at"] is None
    payment = body["payment"]
    assert payment["provider"] == "sandbox"
    assert payment["checkout_url"] == f"/sandbox/checkout/{payment['id']}"
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}

    page = await api.client.get(payment["checkout_url"])
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert "Rp50.000" in html and "INV/2026/000001" in html
    assert f'action="/sandbox/checkout/{payment["id"]}/pay"' in html

    paid = await press_pay(api, payment["id"])
    assert paid.status == 200, await paid.text()
    html = await (await api.client.get(payment["checkout_url"])).text()
    assert "/pay\"" not in html and "/fail\"" not in html   # nothing left to press

    assert await api.amounts(ws, key) == {"conversation": (15000, 50000, 0),
                                          "broadcast": (0, 0, 0)}
    await assert_paid_invoice_and_pdf(api, ws, key, invoice["code"])


async def assert_paid_invoice_and_pdf(api: Api, ws: str, key: str, code: str) -> None:
    read = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}", headers=api.auth(key))
    assert read.status == 200
    stored = await read.json()
    assert stored["status"] == "paid" and stored["paid_at"] is not None
    pdf = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}.pdf", headers=api.auth(key))
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    data = await pdf.read()
    assert data.startswith(b"%PDF")
    assert {"INV/2026/000001", "Rp50.000"} <= set(pdf_text(data).splitlines())
    topups = await (await api.client.get(f"/v1/workspaces/{ws}/topups",
                                         headers=api.auth(key))).json()
    assert [t["status"] for t in topups["topups"]] == ["paid"]
    assert (await api.reconcile())["ok"] is True


@pytest.mark.parametrize("balance,amount,code", [
    ("conversation", 9_999, "topup_below_minimum"),
    ("conversation", 10_000, None),
    ("conversation", 1_000_000, None),
    ("conversation", 1_000_001, "topup_above_maximum"),
    ("broadcast", 9_999, "topup_below_minimum"),
    ("broadcast", 10_000, None),
    ("broadcast", 5_000_000, None),
    ("broadcast", 5_000_001, "topup_above_maximum"),
])
async def test_limits_are_enforced_at_their_edges(api, balance, amount, code):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, balance, amount)
    if code is None:
        assert resp.status == 201, await resp.text()
        return
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == code and error["field"] == "amount"
    assert (await (await api.client.get(f"/v1/workspaces/{ws}/topups",
                                        headers=api.auth(key))).json())["topups"] == []


@pytest.mark.parametrize("amount", [50_000.5, 50_000.0, "50000", -50_000, 0, True, None,
                                    [50_000], {"amount": 50_000}])
async def test_amount_must_be_a_positive_integer_of_rupiah(api, amount):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, "conversation", amount)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "validation_error" and error["field"] == "amount"


@pytest.mark.parametrize("balance", ["granted", "Conversation", "", None, 1])
async def test_unknown_balance_is_rejected_with_field_balance(api, balance):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, balance, 50_000)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "validation_error" and error["field"] == "balance"


async def test_missing_fields_unknown_fields_and_bad_json_are_clear_errors(api):
    ws, key = await api.create_workspace([PHONE_A])
    url = f"/v1/workspaces/{ws}/topups"
    resp = await api.client.post(url, json={"balance": "broadcast"}, headers=api.auth(key))
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "amount"
    resp = await api.client.post(url, json={"balance": "broadcast", "amount": 50_000, "x": 1},
                                 headers=api.auth(key))
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "x"
    resp = await api.client.post(url, data=b"{", headers={**api.auth(key),
                                                        "Content-Type": "application/json"})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_json"


async def test_topups_need_a_key_and_stay_within_their_workspace(api):
    ws, key = await api.create_workspace([PHONE_A])
    other_ws, other_key = await api.create_workspace([PHONE_B])
    resp = await api.client.post(f"/v1/workspaces/{ws}/topups",
                                 json={"balance": "conversation", "amount": 50_000})
    assert resp.status == 401
    resp = await order_topup(api, ws, other_key)
    assert resp.status == 404
    resp = await api.client.get(f"/v1/workspaces/{ws}/topups", headers=api.auth(other_key))
    assert resp.status == 404
    assert (await order_topup(api, ws, ADMIN_TOKEN)).status == 201


async def test_balance_rises_only_when_the_payment_succeeds(api):
    ws, key = await api.create_workspace([PHONE_A])
    body = await topup(api, ws, key, "broadcast", 100_000)
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}
    assert (await press_pay(api, body["payment"]["id"])).status == 200
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0),
                                          "broadcast": (0, 100000, 0)}
    usage = await (await api.client.get(f"/v1/workspaces/{ws}/wallet/usage?kind=topup",
                                        headers=api.auth(key))).json()
    assert [(e["kind"], e["balance"], e["amount"]["amount"]) for e in usage["entries"]] == [
        ("topup", "broadcast", 100000)]


async def test_topup_pays_the_arrears_of_its_balance_first(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.webhook(status_payload(PHONE_A, [status("wamid.mkt1", "delivered",
                                                             "marketing")]))
    assert resp.status == 200
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0),
                                          "broadcast": (0, 0, 650)}
    body = await topup(api, ws, key, "broadcast", 50_000)
    assert (await press_pay(api, body["payment"]["id"])).status == 200
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0),
                                          "broadcast": (0, 49350, 0)}
    usage = await (await api.client.get(f"/v1/workspaces/{ws}/wallet/usage?balance=broadcast",
                                        headers=api.auth(key))).json()
    assert [e["kind"] for e in usage["entries"]] == ["arrears_settlement", "topup", "arrears"]
    assert (await api.reconcile())["ok"] is True


async def test_usage_shows_the_amount_each_arrears_settlement_settled(api):
    """A settlement moves credit from the bucket to the arrears: the balance does not change,
    and the entry shows the amount settled (issue 9 item 20). Rp13.000 of broadcast arrears and
    a Rp10.000 top-up settle Rp10.000; a second top-up settles the Rp3.000 left."""
    ws, key = await api.create_workspace([PHONE_A])
    statuses = [status(f"wamid.st{i}", "delivered", "marketing") for i in range(20)]
    assert (await api.webhook(status_payload(PHONE_A, statuses))).status == 200
    for amount in (10_000, 50_000):
        body = await topup(api, ws, key, "broadcast", amount)
        assert (await press_pay(api, body["payment"]["id"])).status == 200
    assert (await api.amounts(ws, key))["broadcast"] == (0, 47_000, 0)
    usage = await (await api.client.get(
        f"/v1/workspaces/{ws}/wallet/usage?balance=broadcast&kind=arrears_settlement",
        headers=api.auth(key))).json()
    assert [(e["amount"]["amount"], e["amount"]["formatted"], e["balance_after"]["amount"],
             e["arrears_after"]["amount"]) for e in usage["entries"]] == [
        (3_000, "Rp3.000", 47_000, 0), (10_000, "Rp10.000", -3_000, 3_000)]
    assert (await api.reconcile())["ok"] is True


async def test_history_lists_every_status_newest_first(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)
    expired = await topup(api, ws, key, "conversation", 10_000)
    clock.advance(timedelta(hours=25))
    assert await settlement.expire_due(svc, api.clock.now()) == 1
    paid = await topup(api, ws, key, "conversation", 20_000)
    await press_pay(api, paid["payment"]["id"])
    clock.advance(timedelta(minutes=1))
    failed = await topup(api, ws, key, "broadcast", 30_000)
    await press_pay(api, failed["payment"]["id"], "fail")
    clock.advance(timedelta(minutes=1))
    pending = await topup(api, ws, key, "broadcast", 40_000)
    resp = await api.client.get(f"/v1/workspaces/{ws}/topups", headers=api.auth(key))
    listed = (await resp.json())["topups"]
    assert [(t["id"], t["status"]) for t in listed] == [
        (pending["topup"]["id"], "pending"), (failed["topup"]["id"], "pending"),  # pay later
        (paid["topup"]["id"], "paid"), (expired["topup"]["id"], "expired")]
    assert listed[2]["amount"]["formatted"] == "Rp20.000" and listed[2]["paid_at"]
    assert [t["invoice_code"] for t in listed] == [
        "INV/2026/000004", "INV/2026/000003", "INV/2026/000002", "INV/2026/000001"]
    page = await (await api.client.get(f"/v1/workspaces/{ws}/topups?limit=3",
                                       headers=api.auth(key))).json()
    rest = await (await api.client.get(f"/v1/workspaces/{ws}/topups",
                                       params={"cursor": page["next_cursor"]},
                                       headers=api.auth(key))).json()
    assert [t["id"] for t in page["topups"] + rest["topups"]] == [t["id"] for t in listed]
    assert rest["next_cursor"] is None
    assert await api.amounts(ws, key) == {"conversation": (15000, 20000, 0),
                                          "broadcast": (0, 0, 0)}


async def test_limits_come_from_settings(aiohttp_client, settings, clock):
    custom = dataclasses.replace(settings, topup_conversation_min=5_000,
                                 topup_conversation_max=20_000)
    api = Api(await aiohttp_client(create_app(custom, clock=clock, background=False)), clock)
    ws, key = await api.create_workspace([PHONE_A])
    assert (await order_topup(api, ws, key, "conversation", 5_000)).status == 201
    resp = await order_topup(api, ws, key, "conversation", 20_001)
    assert (await resp.json())["error"]["code"] == "topup_above_maximum"
    resp = await order_topup(api, ws, key, "broadcast", 9_999)
    assert (await resp.json())["error"]["code"] == "topup_below_minimum"


async def test_english_caller_gets_english_package_and_money(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await order_topup(api, ws, key, "broadcast", 50_000,
                             headers={"Accept-Language": "en-US,en;q=0.9"})
    body = await resp.json()
    assert body["invoice"]["package"] == "WhatsApp broadcast balance top-up IDR 50,000"
    assert body["topup"]["amount"]["formatted"] == "IDR 50,000"


def test_topup_seller_and_payment_settings_are_read_from_the_environment():
    from service.runtime.settings import Settings
    settings = Settings.from_env({
        "SALDO_TOPUP_CONVERSATION_MIN": "20000", "SALDO_TOPUP_CONVERSATION_MAX": "2000000",
        "SALDO_TOPUP_BROADCAST_MIN": "15000", "SALDO_TOPUP_BROADCAST_MAX": "9000000",
        "SALDO_SELLER_NAME": "PT Saldo", "SALDO_SELLER_ADDRESS": "Jakarta",
        "SALDO_SELLER_TAX_ID": "01.234", "SALDO_PAYMENT_PROVIDER": "Sandbox",
        "SALDO_PAYMENT_SWEEP_INTERVAL": "5m", "PAYMENT_EXPIRY": "2h"})
    assert (settings.topup_conversation_min, settings.topup_conversation_max,
            settings.topup_broadcast_min, settings.topup_broadcast_max) == (
        20_000, 2_000_000, 15_000, 9_000_000)
    assert (settings.seller_name, settings.seller_address, settings.seller_tax_id) == (
        "PT Saldo", "Jakarta", "01.234")
    assert settings.payment_provider == "sandbox"
    assert settings.payment_sweep_interval == timedelta(minutes=5)
    assert settings.payment_expiry == timedelta(hours=2)
    defaults = Settings.from_env({})
    assert (defaults.topup_conversation_min, defaults.topup_broadcast_max) == (10_000, 5_000_000)
