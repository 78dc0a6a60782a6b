"""The subscription screen (issue 12 screens 1, 3, 8): the overview with the plan, its standing
and usage; Renew (amount and period as the renewal preview says, then the sandbox payment);
Unsubscribe and its undo; the standing through a renewal that goes unpaid (due, grace, Free)."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import START
from tests.helpers import ADMIN_TOKEN, PHONE_A, PHONE_B, press_pay
from tests.subscription_helpers import change, invoices, run_due, subscription

IDEM = re.compile(r'name="idem" value="([^"]+)"')


async def _preview_renewal(api, ws, key) -> dict:
    resp = await api.client.post(f"/v1/workspaces/{ws}/previews", json={"kind": "renewal"},
                                 headers={**api.auth(key), "Accept-Language": "en"})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_the_overview_shows_the_plan_its_period_price_and_usage(api, portal):
    resp = await api.client.put("/v1/admin/plans/pro", headers=api.auth(ADMIN_TOKEN), json={
        "name": "Pro", "rank": 2, "prices": {"monthly": {"amount": 599_000}},
        "conversation_grant": {"amount": 60_000},
        "limits": {"users": -1, "contacts": 50_000, "broadcast_quota": 25_000}})
    assert resp.status == 200, await resp.text()
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    resp = await api.client.put(f"/v1/workspaces/{ws}/usage", json={"users": 7, "contacts": 812},
                                headers=api.auth(key))
    assert resp.status == 200
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get("/portal")
    assert status == 200
    assert "Pro plan" in page and "Monthly" in page and "IDR 599,000" in page
    assert "Complimentary" in page                 # created on Pro: its first period is a gift
    assert "21 Nov 2026 – 21 Dec 2026" in page
    renewal = await _preview_renewal(api, ws, key)
    assert renewal["totals"][0]["formatted"] in page           # next renewal, as previewed
    assert re.search(r'Users</span>\s*<span class="num">7 / Unlimited</span>', page)
    assert re.search(r'Contacts</span>\s*<span class="num">812 / 50,000</span>', page)
    for link in ('href="/portal/plans"', 'href="/portal/renew"', 'href="/portal/unsubscribe"',
                 'href="/portal/addons"'):
        assert link in page
    # Indonesian, and a Free workspace has nothing to renew or unsubscribe from
    free, free_key = await api.create_workspace([PHONE_B])
    status, page = await (await portal(free, free_key)).get("/portal")
    assert status == 200 and "Paket Free" in page and "Tingkatkan Langganan" in page
    assert "/portal/renew" not in page and "/portal/unsubscribe" not in page


async def test_unsubscribe_then_undo(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get("/portal/unsubscribe")      # the no-JavaScript dialog
    assert status == 200 and "Yes, Unsubscribe" in page and "21 Dec 2026" in page
    status, page, _ = await browser.post("/portal/unsubscribe", csrf=False)
    assert status == 403
    assert (await subscription(api, ws, key))["scheduled_change"] is None   # nothing changed
    token = IDEM.search(page := (await browser.get("/portal"))[1]).group(1)
    status, _, where = await browser.post("/portal/unsubscribe", {"idem": token})
    assert status == 303 and where == "/portal"
    change = (await subscription(api, ws, key))["scheduled_change"]
    assert change["kind"] == "cancel" and change["plan"] == "free"
    page = (await browser.get("/portal"))[1]
    assert "moves to the Free plan" in page and "21 Dec 2026" in page
    assert 'action="/portal/cancel-change"' in page and "/portal/unsubscribe" not in page
    status, _, where = await browser.post("/portal/cancel-change",
                                          {"idem": IDEM.search(page).group(1)})
    assert status == 303 and where == "/portal"
    assert (await subscription(api, ws, key))["scheduled_change"] is None
    page = (await browser.get("/portal"))[1]
    assert "You have unsubscribed" not in page and 'href="/portal/unsubscribe"' in page
    # undo again, with nothing scheduled: said in words, not a 500
    status, page, _ = await browser.post("/portal/cancel-change", {"idem": "another"})
    assert status == 409 and "no scheduled change" in page


async def test_renew_shows_the_previewed_amount_pays_once_and_the_overview_says_so(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get("/portal/renew")
    renewal = await _preview_renewal(api, ws, key)
    assert status == 200 and renewal["totals"][0]["formatted"] in page
    assert "21 Dec 2026 – 21 Jan 2027" in page
    token = IDEM.search(page).group(1)
    status, _, _ = await browser.post("/portal/renew", {"idem": token}, csrf=False)
    assert status == 403
    assert (await subscription(api, ws, key))["next_renewal"] is not None
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", headers=api.auth(key))
    assert (await resp.json())["invoices"] == []                     # nothing ordered
    status, _, where = await browser.post("/portal/renew", {"idem": token})
    assert status == 303 and where.startswith("/sandbox/checkout/pay_")
    again = await browser.post("/portal/renew", {"idem": token})       # a double submit
    assert again[0] == 303 and again[2] == where
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", params={"type": "renewal"},
                                headers=api.auth(key))
    assert len((await resp.json())["invoices"]) == 1
    payment_id = where.rsplit("/", 1)[1]
    assert (await press_pay(api, payment_id)).status == 200
    status, page = await browser.get(f"/portal/return/{payment_id}")
    assert status == 200 and 'href="/portal"' in page
    page = (await browser.get("/portal"))[1]
    assert "Renewed: the next period, from 21 Dec 2026, is paid." in page
    assert 'href="/portal/renew"' not in page
    assert (await subscription(api, ws, key))["next_period_paid"] is True
    status, page = await browser.get("/portal/renew")      # nothing left to renew
    assert status == 200 and "already paid" in page and 'action="/portal/renew"' not in page


async def test_renew_without_billing_information_goes_to_the_form_and_back(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth", billing_info=False)
    browser = await portal(ws, key, locale="en")
    token = IDEM.search((await browser.get("/portal/renew"))[1]).group(1)
    status, _, where = await browser.post("/portal/renew", {"idem": token})
    assert status == 303 and where == "/portal/billing-info?next=/portal/renew"
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", headers=api.auth(key))
    assert (await resp.json())["invoices"] == []                     # nothing ordered
    status, page, _ = await browser.post("/portal/renew/pay", {"code": "INV/2026/000001"})
    assert status == 404


async def test_a_foreign_invoice_cannot_be_paid_from_here(api, portal):
    other, other_key = await api.create_workspace([PHONE_B], plan="growth")
    resp = await api.client.post(f"/v1/workspaces/{other}/subscription/renew",
                                 headers=api.auth(other_key))
    code = (await resp.json())["invoice"]["code"]
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    browser = await portal(ws, key)
    await browser.get("/portal")
    status, page, _ = await browser.post("/portal/renew/pay", {"code": code, "idem": "x"})
    assert status == 404 and code not in page


async def test_a_renewal_due_then_the_grace_period_then_free(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await run_due(api, START + timedelta(days=28))          # 19 Dec: the renewal is issued
    browser = await portal(ws, key, locale="en")
    page = (await browser.get("/portal"))[1]
    assert "Renewal due" in page and 'action="/portal/renew/pay"' in page
    code = re.search(r'name="code" value="([^"]+)"', page).group(1)
    status, _, where = await browser.post("/portal/renew/pay",
                                          {"code": code, "idem": IDEM.search(page).group(1)})
    assert status == 303 and where.startswith("/sandbox/checkout/")
    await run_due(api, START + timedelta(days=31))          # 22 Dec: the period has ended
    page = (await (await portal(ws, key, locale="en")).get("/portal"))[1]
    assert "Grace period" in page and "Overdue" in page
    assert "Pay it before 28 Dec 2026" in page
    await run_due(api, START + timedelta(days=40))          # 31 Dec: moved to Free
    page = (await (await portal(ws, key, locale="en")).get("/portal"))[1]
    assert "moved to the Free plan on 21 Dec 2026" in page and "Free plan" in page


async def test_a_scheduled_change_waiting_for_payment_can_be_paid_or_undone(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    placed = await change(api, ws, key, "pro", "yearly")              # from 21 Dec, invoiced
    code = placed["invoice"]["code"]
    browser = await portal(ws, key, locale="en")
    page = (await browser.get("/portal"))[1]
    assert "Scheduled change: the Pro plan (yearly) from 21 Dec 2026." in page
    assert f"Invoice {code} (IDR 5,990,000) is due by" in page
    status, _, where = await browser.post("/portal/renew/pay",
                                          {"code": code, "idem": IDEM.search(page).group(1)})
    assert status == 303 and where.endswith(placed["payment"]["id"])   # its live link
    status, _, where = await browser.post("/portal/cancel-change", {"idem": "undo-1"})
    assert status == 303 and where == "/portal"
    assert (await subscription(api, ws, key))["scheduled_change"] is None
    assert [i["status"] for i in await invoices(api, ws, key)] == ["cancelled"]
    page = (await browser.get("/portal"))[1]
    assert "Scheduled change" not in page and 'action="/portal/renew/pay"' not in page


async def test_a_store_outage_shows_a_page_saying_so_not_a_500(api, portal, monkeypatch):
    from pymongo.errors import ServerSelectionTimeoutError
    from service.subscriptions import subscriptions as subs
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    browser = await portal(ws, key, locale="en")

    async def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("No servers found yet")
    monkeypatch.setattr(subs, "view", down)
    status, page = await browser.get("/portal")
    assert status == 503 and "cannot reach its database" in page and "Traceback" not in page
