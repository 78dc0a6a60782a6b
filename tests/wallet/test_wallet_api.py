"""The wallet endpoints: balances, usage history (newest first, filters, cursor pages),
authorize-before-send and the admin reconciliation."""
from datetime import timedelta

from tests.helpers import (ADMIN_TOKEN, PHONE_A, PHONE_B, assert_reconciled, status,
                           status_payload, usage_entries)


async def _deliver(api, wamid, category, phone=PHONE_A):
    resp = await api.webhook(status_payload(phone, [status(wamid, "delivered", category)]))
    assert resp.status == 200, await resp.text()


async def _usage(api, ws, key, **params):
    resp = await api.client.get(f"/v1/workspaces/{ws}/wallet/usage",
                                params={k: str(v) for k, v in params.items()},
                                headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_wallet_shows_every_bucket_as_money_with_a_formatted_string(api):
    ws, key = await api.create_workspace([PHONE_A])
    wallet = await api.wallet(ws, key)
    assert wallet["conversation"] == {
        "granted": {"amount": 15000, "currency": "IDR", "formatted": "Rp15.000"},
        "purchased": {"amount": 0, "currency": "IDR", "formatted": "Rp0"},
        "total": {"amount": 15000, "currency": "IDR", "formatted": "Rp15.000"},
        "arrears": {"amount": 0, "currency": "IDR", "formatted": "Rp0"},
        "rate": {"amount": 30, "currency": "IDR", "formatted": "Rp30"}}
    assert wallet["broadcast"]["rate"]["formatted"] == "Rp650"
    assert wallet["arrears_limit"] == {"amount": 15000, "currency": "IDR", "formatted": "Rp15.000"}


async def test_wallet_is_formatted_for_english_callers(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.get(f"/v1/workspaces/{ws}/wallet",
                                headers={**api.auth(key), "Accept-Language": "en-US,en;q=0.9"})
    wallet = await resp.json()
    assert wallet["conversation"]["granted"]["formatted"] == "IDR 15,000"


async def test_admin_may_read_any_wallet(api):
    ws, _ = await api.create_workspace([PHONE_A])
    wallet = await api.wallet(ws, ADMIN_TOKEN)
    assert wallet["conversation"]["granted"]["amount"] == 15000


async def test_usage_lists_the_grant_and_charges_newest_first_with_wamid_and_category(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    clock.advance(timedelta(minutes=1))
    await _deliver(api, "wamid.u1", "service")
    clock.advance(timedelta(minutes=1))
    await _deliver(api, "wamid.u2", "marketing")
    body = await _usage(api, ws, key)
    assert body["next_cursor"] is None
    entries = body["entries"]
    assert [(e["kind"], e["balance"], e["amount"]["amount"], e["balance_after"]["amount"],
             e["arrears_after"]["amount"], e["wamid"], e["category"]) for e in entries] == [
        ("arrears", "broadcast", -650, -650, 650, "wamid.u2", "marketing"),
        ("charge", "conversation", -30, 14970, 0, "wamid.u1", "service"),
        ("grant", "conversation", 15000, 15000, 0, None, None)]
    assert entries[1]["amount"]["formatted"] == "-Rp30"
    assert len({e["id"] for e in entries}) == 3
    times = [e["time"] for e in entries]
    assert times == sorted(times, reverse=True)
    assert all(t.endswith(("Z", "+00:00")) for t in times), times  # UTC, never a naive time


async def test_usage_filters_by_balance_and_kind(api):
    ws, key = await api.create_workspace([PHONE_A])
    for i in range(3):
        await _deliver(api, f"wamid.f{i}", "service")
    await _deliver(api, "wamid.f9", "utility")
    broadcast = (await _usage(api, ws, key, balance="broadcast"))["entries"]
    assert [(e["kind"], e["wamid"]) for e in broadcast] == [("arrears", "wamid.f9")]
    charges = (await _usage(api, ws, key, kind="charge"))["entries"]
    assert [e["wamid"] for e in charges] == ["wamid.f2", "wamid.f1", "wamid.f0"]
    grants = (await _usage(api, ws, key, balance="conversation", kind="grant"))["entries"]
    assert len(grants) == 1


async def test_usage_filters_by_time(api, clock):
    ws, key = await api.create_workspace([PHONE_A])
    clock.advance(timedelta(hours=1))
    middle = clock.now()
    await _deliver(api, "wamid.t1", "service")
    clock.advance(timedelta(hours=1))
    await _deliver(api, "wamid.t2", "service")
    since = (await _usage(api, ws, key, **{"from": middle.isoformat()}))["entries"]
    assert [e["wamid"] for e in since] == ["wamid.t2", "wamid.t1"]
    until = (await _usage(api, ws, key, to=(middle + timedelta(minutes=1)).isoformat()))["entries"]
    assert [e["kind"] for e in until] == ["charge", "grant"]
    assert until[0]["wamid"] == "wamid.t1"


async def test_usage_pages_with_a_cursor_without_gaps_or_repeats(api):
    ws, key = await api.create_workspace([PHONE_A])
    for i in range(7):
        await _deliver(api, f"wamid.p{i}", "service" if i % 2 else "marketing")
    full = (await _usage(api, ws, key, limit=500))["entries"]
    assert len(full) == 8
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = await _usage(api, ws, key, **params)
        pages.append(body["entries"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [e["id"] for p in pages for e in p] == [e["id"] for e in full]
    assert await usage_entries(api, ws, key, limit=2) == full


async def test_usage_of_an_exact_page_ends_without_a_dangling_cursor(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _deliver(api, "wamid.e1", "service")
    body = await _usage(api, ws, key, limit=2)
    assert len(body["entries"]) == 2 and body["next_cursor"] is None


async def test_usage_shows_only_the_callers_workspace(api):
    ws_a, key_a = await api.create_workspace([PHONE_A])
    ws_b, key_b = await api.create_workspace([PHONE_B])
    await _deliver(api, "wamid.w1", "service", phone=PHONE_A)
    await _deliver(api, "wamid.w2", "service", phone=PHONE_B)
    assert [e["wamid"] for e in (await _usage(api, ws_a, key_a, kind="charge"))["entries"]] == [
        "wamid.w1"]
    assert [e["wamid"] for e in (await _usage(api, ws_b, key_b, kind="charge"))["entries"]] == [
        "wamid.w2"]


async def test_authorize_answers_allowed_with_cost_and_available(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.client.post(f"/v1/workspaces/{ws}/wallet/authorize",
                                 json={"kind": "reply", "count": 3}, headers=api.auth(key))
    assert resp.status == 200
    body = await resp.json()
    assert body == {"allowed": True, "kind": "reply", "count": 3, "balance": "conversation",
                    "cost": {"amount": 90, "currency": "IDR", "formatted": "Rp90"},
                    "available": {"amount": 30000, "currency": "IDR",
                                  "formatted": "Rp30.000"}}


async def test_authorize_does_not_change_the_wallet(api):
    ws, key = await api.create_workspace([PHONE_A])
    before = await api.amounts(ws, key)
    for kind in ("reply", "broadcast"):
        await api.client.post(f"/v1/workspaces/{ws}/wallet/authorize",
                              json={"kind": kind, "count": 5}, headers=api.auth(key))
    assert await api.amounts(ws, key) == before
    assert len((await _usage(api, ws, key))["entries"]) == 1


async def test_reconcile_lists_every_wallet_and_balance(api):
    ws_a, _ = await api.create_workspace([PHONE_A])
    ws_b, _ = await api.create_workspace([PHONE_B])
    await _deliver(api, "wamid.z1", "service", phone=PHONE_A)
    await _deliver(api, "wamid.z2", "marketing", phone=PHONE_B)
    body = await api.reconcile()
    assert body["ok"] is True
    rows = {w["workspace_id"]: w["balances"] for w in body["workspaces"]}
    assert rows[ws_a]["conversation"] == {"ledger_sum": 14970, "balance": 14970, "ok": True}
    assert rows[ws_b]["broadcast"] == {"ledger_sum": -650, "balance": -650, "ok": True}
    await assert_reconciled(api)
