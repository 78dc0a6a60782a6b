"""Account credit (issue 11 item 3): money owed back becomes account credit, not WhatsApp
balance; the next invoice in its currency uses it first ("Credit applied"); an invoice it covers
is paid at once without a provider; concurrent invoices consume it once; an invoice closed
unpaid gives it back; reconcile proves all of it and reports a forged credit."""
import asyncio
from datetime import timedelta

from service.payments import settlement
from tests.addon_helpers import (EXTRA_CONTACTS, EXTRA_USER, bought, buy_and_pay, create_addon,
                                 held, stop)
from tests.helpers import PHONE_A, app_services, assert_reconciled, topup
from tests.subscription_helpers import invoices, wib

MID = wib(2026, 12, 6, 10)          # 15 of the 30 days of Nov 21 → Dec 21 left


async def credit_of(api, ws: str, key: str, **params) -> dict:
    resp = await api.client.get(f"/v1/workspaces/{ws}/credit", params=params,
                                headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def with_credit(api) -> tuple[str, str]:
    """A Growth workspace whose 2 additional users were stopped mid-period: Rp49.000 owed."""
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 2)
    api.clock.set(MID)
    resp = await stop(api, ws, key, user["id"], "now")
    assert (await resp.json())["credit"]["amount"] == 49_000
    return ws, key


async def test_an_addon_stopped_now_becomes_account_credit_not_whatsapp_balance(api):
    ws, key = await with_credit(api)
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 0, 0)
    credit = await credit_of(api, ws, key)
    assert [b["amount"] for b in credit["balances"]] == [49_000]
    [entry] = credit["entries"]
    assert (entry["kind"], entry["amount"]["amount"]) == ("credit", 49_000)
    assert entry["id"].startswith("addon_refund:")
    await assert_reconciled(api)


async def test_the_next_invoice_uses_the_credit_first_with_a_line(api):
    ws, key = await with_credit(api)
    placed = await topup(api, ws, key, amount=50_000)
    invoice = placed["invoice"]
    assert invoice["amount"]["amount"] == 1_000
    credit_line = invoice["lines"][-1]
    assert credit_line["description"] in ("Credit applied", "Kredit akun digunakan")
    assert credit_line["amount"]["amount"] == -49_000
    payment = await app_services(api).db.payments.find_one({"_id": placed["payment"]["id"]})
    assert payment["amount"]["amount"] == 1_000
    code = invoice["code"].replace("/", "%2F")
    for lang, text in (("en", "Credit applied"), ("id", "Kredit akun digunakan")):
        resp = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}", headers={
            **api.auth(key), "Accept-Language": lang})
        assert (await resp.json())["lines"][-1]["description"] == text
    pdf = await api.client.get(f"/v1/workspaces/{ws}/invoices/{code}.pdf", headers=api.auth(key))
    assert pdf.status == 200
    credit = await credit_of(api, ws, key)
    assert [b["amount"] for b in credit["balances"]] == [0]
    assert [e["kind"] for e in credit["entries"]] == ["applied", "credit"]
    await assert_reconciled(api)


async def test_an_invoice_credit_covers_is_paid_without_a_provider_and_fulfilled(api):
    ws, key = await with_credit(api)
    svc = app_services(api)
    payments_before = await svc.db.payments.count_documents({})
    placed = await topup(api, ws, key, amount=10_000)
    assert placed["invoice"]["status"] == "paid"
    assert placed["invoice"]["amount"]["amount"] == 0
    assert placed["payment"]["checkout_url"] is None
    assert await svc.db.payments.count_documents({}) == payments_before   # no provider call
    assert (await api.amounts(ws, key))["conversation"] == (30_000, 10_000, 0)
    assert [b["amount"] for b in (await credit_of(api, ws, key))["balances"]] == [39_000]
    await assert_reconciled(api)


async def test_an_addon_purchase_credit_covers_is_applied_in_the_same_request(api):
    ws, key = await with_credit(api)
    contacts = await create_addon(api, EXTRA_CONTACTS)
    placed = await bought(api, ws, key, contacts["id"])          # Rp25.000 × 15/30
    assert (placed["invoice"]["status"], placed["invoice"]["amount"]["amount"]) == ("paid", 0)
    assert (await held(api, ws, key))[contacts["id"]]["quantity"] == 1
    assert [b["amount"] for b in (await credit_of(api, ws, key))["balances"]] == [36_500]
    await assert_reconciled(api)


async def test_concurrent_invoices_consume_the_credit_exactly_once(api):
    ws, key = await with_credit(api)
    placed = await asyncio.gather(*(topup(api, ws, key, amount=20_000) for _ in range(5)))
    used = [-line["amount"]["amount"] for p in placed for line in p["invoice"]["lines"]
            if line["amount"]["amount"] < 0]
    assert sum(used) == 49_000
    assert sorted(p["invoice"]["amount"]["amount"] for p in placed) == \
        [0, 0, 11_000, 20_000, 20_000]
    credit = await credit_of(api, ws, key)
    assert [b["amount"] for b in credit["balances"]] == [0]
    assert len([e for e in credit["entries"] if e["kind"] == "applied"]) == 3
    await assert_reconciled(api)


async def test_an_invoice_expired_unpaid_gives_the_credit_back_once(api):
    ws, key = await with_credit(api)
    placed = await topup(api, ws, key, amount=50_000)
    svc = app_services(api)
    later = api.clock.now() + timedelta(days=2)
    assert await settlement.expire_due(svc, later) == 1
    assert await settlement.expire_due(svc, later) == 0
    [expired] = await invoices(api, ws, key, status="expired")
    assert expired["code"] == placed["invoice"]["code"]
    credit = await credit_of(api, ws, key)
    assert [b["amount"] for b in credit["balances"]] == [49_000]
    assert [e["kind"] for e in credit["entries"]] == ["returned", "applied", "credit"]
    await assert_reconciled(api)


async def test_credit_history_is_paged(api):
    ws, key = await with_credit(api)
    await topup(api, ws, key, amount=10_000)
    await topup(api, ws, key, amount=10_000)
    first = await credit_of(api, ws, key, limit=2)
    assert len(first["entries"]) == 2 and first["next_cursor"]
    rest = await credit_of(api, ws, key, limit=2, cursor=first["next_cursor"])
    assert [e["kind"] for e in rest["entries"]] == ["credit"] and rest["next_cursor"] is None
    resp = await api.client.get(f"/v1/workspaces/{ws}/credit", params={"cursor": "!!"},
                                headers=api.auth(key))
    assert (resp.status, (await resp.json())["error"]["field"]) == (422, "cursor")


async def test_reconcile_reports_a_forged_credit_without_cause(api):
    ws, key = await with_credit(api)
    svc = app_services(api)
    doc = await svc.db.account_credit.find_one({"workspace_id": ws})
    forged = {"key": "gift:someone", "kind": "credit", "amount": 1_000_000,
              "at": api.clock.now(), "n": 2, "meta": {}}
    await svc.db.account_credit.replace_one({"_id": doc["_id"]}, {
        **doc, "balance": doc["balance"] + 1_000_000, "entries": [*doc["entries"], forged]})
    report = await api.reconcile()
    assert report["ok"] is False
    assert [v["rule"] for v in report["violations"]] == ["credit_without_cause"]
    assert report["violations"][0]["ledger_keys"] == ["gift:someone"]
