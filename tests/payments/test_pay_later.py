"""Pay later (issue 11 item 2): an open invoice carries its payment link, and
`POST …/invoices/{code}/pay` hands out a live one, making one new payment after a failure."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import quote

from tests.helpers import (ADMIN_TOKEN, PHONE_A, PHONE_B, Api, app_services, assert_reconciled,
                           press_pay, topup)

CREDITED = {"conversation": (15000, 50000, 0), "broadcast": (0, 0, 0)}
UNTOUCHED = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}


def url(ws: str, code: str, suffix: str = "") -> str:
    return f"/v1/workspaces/{ws}/invoices/{quote(code, safe='')}{suffix}"


async def pay(api: Api, ws: str, key: str, code: str, **headers):
    return await api.client.post(url(ws, code, "/pay"), headers={**api.auth(key), **headers})


async def view(api: Api, ws: str, key: str, code: str) -> dict:
    resp = await api.client.get(url(ws, code), headers=api.auth(key))
    assert resp.status == 200
    return await resp.json()


async def ordered(api: Api) -> tuple[str, str, dict]:
    ws, key = await api.create_workspace([PHONE_A])
    return ws, key, await topup(api, ws, key, "conversation", 50_000)


async def test_an_open_invoice_shows_its_payment_link_in_the_view_and_the_list(api):
    ws, key, body = await ordered(api)
    invoice = await view(api, ws, key, body["invoice"]["code"])
    assert invoice["payable"] is True
    assert invoice["payment"]["checkout_url"] == body["payment"]["checkout_url"]
    assert invoice["payment"]["expires_at"] == invoice["expires_at"]
    await press_pay(api, body["payment"]["id"])
    api.clock.advance(timedelta(seconds=1))                    # (newest first)
    later = await topup(api, ws, key, "conversation", 20_000)
    listed = (await (await api.client.get(f"/v1/workspaces/{ws}/invoices",
                                          headers=api.auth(key))).json())["invoices"]
    assert [(i["code"], i["payable"], i["payment"]["id"]) for i in listed] == [
        (later["invoice"]["code"], True, later["payment"]["id"]),
        (body["invoice"]["code"], False, body["payment"]["id"])]


async def test_pay_on_an_open_invoice_returns_its_current_payment(api):
    ws, key, body = await ordered(api)
    resp = await pay(api, ws, key, body["invoice"]["code"])
    assert resp.status == 200
    answer = await resp.json()
    assert answer["payment"]["id"] == body["payment"]["id"]
    assert answer["invoice"]["payable"] is True


async def test_after_a_failed_payment_pay_makes_a_new_one_and_only_it_pays(api):
    ws, key, body = await ordered(api)
    code, old = body["invoice"]["code"], body["payment"]["id"]
    await press_pay(api, old, "fail")
    invoice = await view(api, ws, key, code)
    assert (invoice["status"], invoice["payable"], invoice["payment"]["status"]) == (
        "pending", True, "failed")
    answer = await (await pay(api, ws, key, code)).json()
    new = answer["payment"]
    assert new["id"] != old and new["status"] == "pending" and new["checkout_url"]
    assert (await view(api, ws, key, code))["payment"]["id"] == new["id"]
    assert (await press_pay(api, new["id"])).status == 200
    assert await api.amounts(ws, key) == CREDITED
    # the provider changes its mind about the old one: refunded, nothing credited twice
    assert (await press_pay(api, old)).status == 200
    refunds = (await (await api.client.get("/v1/admin/payments?state=needs_refund",
                                           headers=api.auth(ADMIN_TOKEN))).json())["payments"]
    assert [(p["id"], p["refund_reason"]) for p in refunds] == [(old, "invoice_paid")]
    assert await api.amounts(ws, key) == CREDITED
    await assert_reconciled(api)


async def test_a_late_success_of_a_superseded_payment_is_refunded_and_the_invoice_stays_open(
        api):
    ws, key, body = await ordered(api)
    code, old = body["invoice"]["code"], body["payment"]["id"]
    await press_pay(api, old, "fail")
    new = (await (await pay(api, ws, key, code)).json())["payment"]
    page = await api.client.post(f"/sandbox/checkout/{old}/pay", headers={"Accept-Language": "en"})
    assert "This invoice has a newer payment link" in await page.text()
    refunds = (await (await api.client.get("/v1/admin/payments?state=needs_refund",
                                           headers=api.auth(ADMIN_TOKEN))).json())["payments"]
    assert [(p["id"], p["refund_reason"]) for p in refunds] == [(old, "payment_superseded")]
    assert await api.amounts(ws, key) == UNTOUCHED
    invoice = await view(api, ws, key, code)
    assert (invoice["status"], invoice["payable"], invoice["payment"]["id"]) == (
        "pending", True, new["id"])


async def test_ten_concurrent_clicks_after_a_failure_make_one_new_payment(api):
    ws, key, body = await ordered(api)
    code, old = body["invoice"]["code"], body["payment"]["id"]
    await press_pay(api, old, "fail")
    answers = await asyncio.gather(*[pay(api, ws, key, code) for _ in range(10)])
    assert [a.status for a in answers] == [200] * 10
    ids = {(await a.json())["payment"]["id"] for a in answers}
    assert len(ids) == 1 and old not in ids
    svc = app_services(api)
    stored = [d["_id"] async for d in svc.db.payments.find(
        {"invoice_id": {"$exists": True}, "workspace_id": ws})]
    assert sorted(stored) == sorted([old, *ids])
    await press_pay(api, ids.pop())
    assert await api.amounts(ws, key) == CREDITED
    await assert_reconciled(api)


async def test_paid_and_expired_invoices_are_not_payable(api):
    ws, key, body = await ordered(api)
    await press_pay(api, body["payment"]["id"])
    resp = await pay(api, ws, key, body["invoice"]["code"])
    error = (await resp.json())["error"]
    assert (resp.status, error["code"], error["details"]["status"]) == (
        409, "invoice_not_payable", "paid")
    lapsed = await topup(api, ws, key, "conversation", 20_000)
    api.clock.advance(timedelta(hours=24))       # due, even before the expiry sweep ran
    resp = await pay(api, ws, key, lapsed["invoice"]["code"])
    assert resp.status == 409 and (await resp.json())["error"]["details"]["status"] == "expired"
    assert (await view(api, ws, key, lapsed["invoice"]["code"]))["payable"] is False


async def test_pay_honours_idempotency_keys_and_tenancy(api):
    ws, key, body = await ordered(api)
    code, old = body["invoice"]["code"], body["payment"]["id"]
    await press_pay(api, old, "fail")
    first = await pay(api, ws, key, code, **{"Idempotency-Key": "pay-1"})
    again = await pay(api, ws, key, code, **{"Idempotency-Key": "pay-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await first.json()) == (await again.json())
    other_ws, other_key = await api.create_workspace([PHONE_B])
    assert (await pay(api, other_ws, other_key, code)).status == 404
    assert (await pay(api, ws, other_key, code)).status == 404
    admin = await pay(api, ws, ADMIN_TOKEN, code)
    assert admin.status == 200
    assert (await admin.json())["payment"]["id"] == (await first.json())["payment"]["id"]


async def test_raw_slashes_in_the_code_work_too(api):
    ws, key, body = await ordered(api)
    resp = await api.client.post(f"/v1/workspaces/{ws}/invoices/{body['invoice']['code']}/pay",
                                 headers=api.auth(key))
    assert resp.status == 200
    assert (await resp.json())["payment"]["id"] == body["payment"]["id"]


async def test_the_route_and_its_errors_are_in_openapi(api):
    paths = (await (await api.client.get("/openapi.json")).json())["paths"]
    route = paths["/v1/workspaces/{ws}/invoices/{code}/pay"]["post"]
    assert "invoice_not_payable" in route["responses"]["409"]["description"]
    assert "payments_unavailable" in route["responses"]["409"]["description"]
    renew = paths["/v1/workspaces/{ws}/subscription/renew"]["post"]
    assert "billing_info_incomplete" in renew["responses"]["409"]["description"]
