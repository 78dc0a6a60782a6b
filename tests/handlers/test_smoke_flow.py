from tests.helpers import PHONE_A, status, status_payload


async def test_new_workspace_starts_on_free_with_its_conversation_grant(api):
    ws, key = await api.create_workspace([PHONE_A])
    assert await api.amounts(ws, key) == {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}
    wallet = await api.wallet(ws, key)
    assert wallet["conversation"]["granted"]["formatted"] == "Rp15.000"
    assert wallet["conversation"]["rate"]["amount"] == 30
    assert wallet["broadcast"]["rate"]["amount"] == 650


async def test_delivered_reply_is_charged_once_from_the_grant(api):
    ws, key = await api.create_workspace([PHONE_A])
    payload = status_payload(PHONE_A, [status("wamid.1", "delivered", "service")])
    for _ in range(3):
        resp = await api.webhook(payload)
        assert resp.status == 200
    assert await api.amounts(ws, key) == {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}
    assert (await api.reconcile())["ok"] is True
