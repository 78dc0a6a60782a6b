"""A charge the balance cannot cover goes whole into arrears; the buckets never go negative."""

from tests.helpers import (FRESH, PHONE_A, PHONE_B, assert_reconciled, charge_entries,
                           multi_status_payload, patch_workspace, status, status_payload)



async def _deliver(api, wamid, category):
    resp = await api.webhook(status_payload(PHONE_A, [status(wamid, "delivered", category)]))
    assert resp.status == 200, await resp.text()


async def _authorize(api, ws, key, kind, count):
    return await api.client.post(f"/v1/workspaces/{ws}/wallet/authorize",
                                 json={"kind": kind, "count": count}, headers=api.auth(key))


async def test_broadcast_with_an_empty_broadcast_balance_goes_to_arrears(api):
    ws, key = await api.create_workspace([PHONE_A])
    for i in range(3):
        await _deliver(api, f"wamid.b{i}", "marketing")
    await _deliver(api, "wamid.b0", "marketing")
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0), "broadcast": (0, 0, 1950)}
    entries = await charge_entries(api, ws, key)
    assert [(e["kind"], e["balance"], e["amount"]["amount"], e["arrears_after"]["amount"],
             e["balance_after"]["amount"]) for e in entries] == [
        ("arrears", "broadcast", -650, 1950, -1950),
        ("arrears", "broadcast", -650, 1300, -1300),
        ("arrears", "broadcast", -650, 650, -650)]
    await assert_reconciled(api)


async def test_broadcast_arrears_do_not_touch_the_conversation_grant(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _deliver(api, "wamid.b5", "authentication")
    await _deliver(api, "wamid.b6", "service")
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 650)}
    await assert_reconciled(api)


async def test_rate_override_is_shown_in_the_workspace_and_wallet(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await patch_workspace(api, ws, {"rate_overrides": {"service": 7000}})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["rate_overrides"]["service"]["amount"] == 7000
    wallet = await api.wallet(ws, key)
    assert wallet["conversation"]["rate"]["amount"] == 7000
    assert wallet["broadcast"]["rate"]["amount"] == 650


async def test_reply_past_the_grant_goes_whole_to_arrears(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await patch_workspace(api, ws, {"rate_overrides": {"service": 7000}})
    assert resp.status == 200, await resp.text()
    await _deliver(api, "wamid.r1", "service")
    await _deliver(api, "wamid.r2", "service")
    assert await api.amounts(ws, key) == {"conversation": (1000, 0, 0), "broadcast": (0, 0, 0)}
    await _deliver(api, "wamid.r3", "service")
    await _deliver(api, "wamid.r3", "service")
    assert await api.amounts(ws, key) == {"conversation": (1000, 0, 7000), "broadcast": (0, 0, 0)}
    entries = await charge_entries(api, ws, key)
    assert [(e["kind"], e["wamid"], e["amount"]["amount"]) for e in entries] == [
        ("arrears", "wamid.r3", -7000), ("charge", "wamid.r2", -7000),
        ("charge", "wamid.r1", -7000)]
    await assert_reconciled(api)

    # replies may still run into arrears up to the limit: 1.000 - 7.000 + 15.000 = 9.000
    resp = await _authorize(api, ws, key, "reply", 1)
    assert resp.status == 200
    body = await resp.json()
    assert (body["allowed"], body["cost"]["amount"], body["available"]["amount"]) == (
        True, 7000, 9000)
    resp = await _authorize(api, ws, key, "reply", 2)
    assert resp.status == 402
    assert (await resp.json())["error"]["code"] == "insufficient_balance"


async def test_other_categories_keep_the_default_price_under_an_override(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await patch_workspace(api, ws, {"rate_overrides": {"marketing": 1000}})
    assert resp.status == 200, await resp.text()
    await _deliver(api, "wamid.r4", "marketing")
    await _deliver(api, "wamid.r5", "utility")
    await _deliver(api, "wamid.r6", "service")
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0),
                                          "broadcast": (0, 0, 1650)}
    await assert_reconciled(api)


async def test_a_rate_override_on_one_workspace_does_not_stop_charges_of_another(api):
    ws_a, key_a = await api.create_workspace([PHONE_A])
    ws_b, key_b = await api.create_workspace([PHONE_B])
    resp = await patch_workspace(api, ws_a, {"rate_overrides": {"service": 7000}})
    assert resp.status == 200, await resp.text()
    payload = multi_status_payload([(PHONE_A, [status("wamid.r7", "delivered", "service")]),
                                    (PHONE_B, [status("wamid.r8", "delivered", "service")])])
    assert (await api.webhook(payload)).status == 200
    assert await api.amounts(ws_b, key_b) == {"conversation": (14970, 0, 0),
                                              "broadcast": (0, 0, 0)}
    assert await api.amounts(ws_a, key_a) == {"conversation": (8000, 0, 0),
                                              "broadcast": (0, 0, 0)}
    await assert_reconciled(api)


# --- authorize before sending -----------------------------------------------------------------

async def test_new_workspace_may_send_replies_but_no_broadcast(api):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await _authorize(api, ws, key, "reply", 10)
    assert resp.status == 200
    body = await resp.json()
    assert body["allowed"] is True
    assert body["cost"] == {"amount": 300, "currency": "IDR", "formatted": "Rp300"}
    assert body["available"]["amount"] == 30000   # 15.000 granted + 15.000 arrears limit
    resp = await _authorize(api, ws, key, "broadcast", 1)
    assert resp.status == 402
    error = (await resp.json())["error"]
    assert error["code"] == "insufficient_balance"
    assert error["details"]["cost"] == 650 and error["details"]["available"] == 0


async def test_replies_are_authorized_up_to_the_arrears_limit_and_not_beyond(api):
    ws, key = await api.create_workspace([PHONE_A])
    assert (await _authorize(api, ws, key, "reply", 1000)).status == 200   # 30.000 == 30.000
    assert (await _authorize(api, ws, key, "reply", 1001)).status == 402
    resp = await patch_workspace(api, ws, {"arrears_limit": 0})
    assert resp.status == 200, await resp.text()
    assert (await _authorize(api, ws, key, "reply", 500)).status == 200    # 15.000 granted
    assert (await _authorize(api, ws, key, "reply", 501)).status == 402


async def test_broadcast_arrears_block_broadcasts(api):
    ws, key = await api.create_workspace([PHONE_A])
    await _deliver(api, "wamid.b7", "marketing")
    resp = await _authorize(api, ws, key, "broadcast", 1)
    assert resp.status == 402
    assert (await resp.json())["error"]["details"]["available"] == -650
    assert await api.amounts(ws, key) == {**FRESH, "broadcast": (0, 0, 650)}
