"""Invoices travel as frozen records (settlement, the order kinds, the sweep); the replaces that
change them write the record back whole, so a record must give back its document exactly."""
import dataclasses

import pytest

from service.invoices import invoices
from service.invoices.records import OrderRef
from service.payments import settlement
from tests.helpers import PHONE_A, PHONE_B, app_services, press_pay, topup


async def stored_invoices(api) -> list[dict]:
    return [d async for d in app_services(api).db.invoices.find({})]


async def test_every_stored_invoice_survives_the_trip_to_its_record_and_back(api):
    ws, key = await api.create_workspace([PHONE_A])
    paid = await topup(api, ws, key)
    assert (await press_pay(api, paid["payment"]["id"])).status == 200
    failed = await topup(api, ws, key, "broadcast", 20_000)      # then paid with a new link
    assert (await press_pay(api, failed["payment"]["id"], "fail")).status == 200
    again = await api.client.post(
        f"/v1/workspaces/{ws}/invoices/{failed['invoice']['code']}/pay", headers=api.auth(key))
    assert (await press_pay(api, (await again.json())["payment"]["id"])).status == 200
    await topup(api, ws, key)
    api.clock.advance(app_services(api).settings.payment_expiry)
    assert await settlement.expire_due(app_services(api), api.clock.now()) == 1
    await api.create_workspace([PHONE_B], plan="growth", complimentary=False,
                               billing_info=False)
    docs = await stored_invoices(api)
    assert sorted(d["status"] for d in docs) == ["expired", "paid", "paid", "pending"]
    for doc in docs:
        back = invoices.to_doc(invoices.record(doc))
        assert back == doc and list(back) == list(doc)


async def test_settling_writes_the_document_the_record_was_made_from(api):
    """The settle replace keeps every field (and its type) of the stored invoice."""
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key)
    svc = app_services(api)
    [doc] = await stored_invoices(api)
    record = invoices.record(doc)
    assert record.settled and record.code == placed["invoice"]["code"]
    await svc.db.invoices.replace_one({"_id": doc["_id"]}, {**doc, "settled": False})
    settled = await invoices.mark_settled(svc.db, dataclasses.replace(record, settled=False),
                                          record.code, record.number)
    [after] = await stored_invoices(api)
    assert after == {**doc, "rev": doc["rev"] + 1} and invoices.to_doc(settled) == after


def test_an_order_reference_names_its_order_whatever_its_kind():
    top = OrderRef("topup", {"topup_id": "tu_1", "balance": "broadcast"})
    addon = OrderRef("addon", {"order_id": "ao_1", "workspace_id": "ws_1",
                               "action": "renewal"})
    plan = OrderRef("renewal", {"order_id": "end_of_term:ws_1:…", "plan": "pro"})
    assert (top.order_id, top.action) == ("tu_1", None)
    assert (addon.order_id, addon.action) == ("ao_1", "renewal")
    assert (plan.order_id, plan.action) == ("end_of_term:ws_1:…", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        top.kind = "addon"  # type: ignore[misc]
