"""`python -m jobs run-due --now <future>` is a time machine for the billing run only: it must
not charge WhatsApp messages, nor decide with its pretended time anything that depends on real
events arriving (a message's pricing category, a retry of an Idempotency-Key)."""
from datetime import timedelta

from jobs.run import run_due
from tests.conftest import START
from tests.helpers import (PHONE_A, assert_reconciled, charge_entries, order_topup, status,
                           status_payload)

FUTURE = START + timedelta(days=60)          # far past the category grace and every expiry
REPLY_CHARGED = {"conversation": (14970, 0, 0), "broadcast": (0, 0, 0)}


async def test_a_future_pass_leaves_a_message_waiting_for_its_category_alone(api, settings):
    ws, key = await api.create_workspace([PHONE_A])
    resp = await api.webhook(status_payload(PHONE_A, [status("wamid.tm1", "delivered", None)]))
    assert resp.status == 200
    report = await run_due(settings, FUTURE)        # what `python -m jobs run-due --now` runs
    assert report.get("errors", 0) == 0
    api.clock.advance(timedelta(minutes=1))          # the real pricing arrives, within the grace
    resp = await api.webhook(status_payload(PHONE_A, [status("wamid.tm1", "read", "service")]))
    assert resp.status == 200
    assert await api.amounts(ws, key) == REPLY_CHARGED          # Rp30, no Rp650, no arrears
    charged = [(e["wamid"], e["category"], e["balance"], e["amount"]["amount"])
               for e in await charge_entries(api, ws, key)]
    assert charged == [("wamid.tm1", "service", "conversation", -30)]
    await assert_reconciled(api)


async def test_a_future_pass_does_not_forget_a_live_idempotency_key(api, settings):
    ws, key = await api.create_workspace([PHONE_A])
    first = await order_topup(api, ws, key, headers={"Idempotency-Key": "tm-topup"})
    assert first.status == 201
    await run_due(settings, FUTURE)
    api.clock.advance(timedelta(minutes=5))          # a client retries a few minutes later
    again = await order_topup(api, ws, key, headers={"Idempotency-Key": "tm-topup"})
    assert again.status == 201
    assert (await again.json())["topup"]["id"] == (await first.json())["topup"]["id"]
    resp = await api.client.get(f"/v1/workspaces/{ws}/topups", headers=api.auth(key))
    assert len((await resp.json())["topups"]) == 1
