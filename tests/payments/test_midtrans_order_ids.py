"""Midtrans after a lost create: its answer to `POST /snap/v1/transactions` never came (a
timeout), but the transaction was made, and Midtrans refuses its `order_id` from then on. The
customer can still pay: the next order id (`<payment id>-1`) is asked for, and its payment,
notification, status poll and refund all find their way back to Saldo's payment."""
from __future__ import annotations

from datetime import timedelta

import pytest

from service.payments import polling
from tests.helpers import app_services
from tests.payments.gateway_helpers import CREDITED, make_rig

CREATE = "POST /snap/v1/transactions"


@pytest.fixture
async def midtrans(aiohttp_client, aiohttp_server, settings, clock):
    made = await make_rig(aiohttp_client, aiohttp_server, settings, clock, "midtrans")
    yield made
    made.gw.knobs.released.set()


def used_order_id(gw, checkout_url: str) -> str:
    """The order id of the Snap page the customer was sent to."""
    return next(order_id for order_id, o in gw.orders.items()
                if checkout_url.endswith(o["token"]))


async def pay_link(rig, ws: str, key: str, code: str):
    return await rig.api.client.post(f"/v1/workspaces/{ws}/invoices/{code}/pay",
                                     headers=rig.api.auth(key))


async def test_after_a_lost_create_the_customer_gets_a_link_and_pays_once(midtrans):
    rig = midtrans
    rig.gw.knobs.lose(CREATE)
    ws, key, body = await rig.order()
    pid, code = body["payment"]["id"], body["invoice"]["code"]
    assert pid in rig.gw.orders                          # Midtrans made the first one
    resp = await pay_link(rig, ws, key, code)            # (the order may have had it already)
    assert resp.status == 200, await resp.text()
    link = (await resp.json())["payment"]["checkout_url"]
    assert link and link.startswith(rig.gw.base)
    order_id = used_order_id(rig.gw, link)
    assert order_id == f"{pid}-1"
    rig.gw.pay(order_id)
    assert (await rig.notify(order_id)).status == 200
    assert (await rig.notify(order_id)).status == 200   # Midtrans notifies again
    assert await rig.api.amounts(ws, key) == CREDITED
    stored = await app_services(rig.api).db.payments.find_one({"_id": pid})
    assert (stored["status"], stored["provider_reference"]) == ("succeeded", order_id)
    assert (await rig.api.reconcile())["ok"] is True


async def test_a_link_lost_again_is_opened_by_the_sweep_and_a_lost_notification_polled(midtrans):
    rig = midtrans
    rig.gw.knobs.lose(CREATE, 3)       # each order id's answer lost: the deadline passes
    ws, key, body = await rig.order()
    pid = body["payment"]["id"]
    assert body["payment"]["checkout_url"] is None
    svc = app_services(rig.api)
    rig.api.clock.advance(polling.REOPEN_AFTER + timedelta(seconds=1))
    rig.gw.knobs.heal()
    assert (await polling.sweep(svc))["payment_links_opened"] == 1
    stored = await svc.db.payments.find_one({"_id": pid})
    order_id = used_order_id(rig.gw, stored["checkout_url"])
    assert order_id.startswith(f"{pid}-")               # a later order id
    rig.gw.pay(order_id)                                  # its notification is lost
    rig.api.clock.advance(polling.POLL_AFTER + timedelta(seconds=1))
    assert (await polling.sweep(svc))["payments_polled"] == 1
    assert await rig.api.amounts(ws, key) == CREDITED
