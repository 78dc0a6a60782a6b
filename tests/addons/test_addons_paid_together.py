"""Add-on invoices of one workspace paid at the same moment (issue 17 item 5): a success the
provider reports is applied in the request that received it. Under load 10 of 30 were applied
only by the payments sweep 1-2 minutes later, although the checkout said "Payment succeeded":
each payment's fulfilment lost the subscription's versioned replace to the others too often and
gave up, leaving the paid invoice unsettled. No sweep runs in these tests (background=False)."""
import asyncio

import pytest

from tests.addon_helpers import addon_body, bought, create_addon, held
from tests.helpers import PHONE_A, assert_reconciled, payment_callback, post_payment_callback

N = 30
PRICE = 10_000


async def pay_by_checkout(api, payment_id: str, amount: int) -> bool:
    """The Pay button; → whether the page told the customer the payment succeeded."""
    resp = await api.client.post(f"/sandbox/checkout/{payment_id}/pay",
                                 headers={"Accept-Language": "en"})
    assert resp.status == 200, await resp.text()
    return "Payment succeeded" in await resp.text()


async def pay_by_callback(api, payment_id: str, amount: int) -> bool:
    """The provider's signed success callback; → whether the answer says it succeeded."""
    resp = await post_payment_callback(api, payment_callback(payment_id, amount=amount))
    assert resp.status == 200, await resp.text()
    return (await resp.json())["payment"]["status"] == "succeeded"


@pytest.mark.parametrize("pay", [pay_by_checkout, pay_by_callback])
async def test_thirty_addons_paid_at_once_are_all_applied_by_their_own_requests(api, pay):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addons = [await create_addon(api, addon_body(f"seat-{i}", periods={
        "monthly": {"currency": "IDR", "amount": PRICE}})) for i in range(N)]
    placed = [await bought(api, ws, key, addon["id"]) for addon in addons]
    said_applied = await asyncio.gather(*(
        pay(api, p["payment"]["id"], p["invoice"]["amount"]["amount"]) for p in placed))
    holdings = await held(api, ws, key)       # right after the answers, no sweep in between
    late = [a["name"] for a, applied in zip(addons, said_applied)
            if applied and holdings.get(a["id"], {}).get("quantity") != 1]
    assert late == [], f"{len(late)} of {N} said applied but are not held yet"
    await assert_reconciled(api)


async def test_a_payment_not_applied_in_its_request_is_shown_as_pending_not_as_an_error(
        api, monkeypatch):
    """If applying still loses every race (here: one attempt allowed), the checkout says the
    payment was received and is being applied, never "succeeded" for what is not held yet."""
    from service.subscriptions import state
    monkeypatch.setattr(state, "PAID_RETRIES", 1)
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addons = [await create_addon(api, addon_body(f"seat-{i}", periods={
        "monthly": {"currency": "IDR", "amount": PRICE}})) for i in range(10)]
    placed = [await bought(api, ws, key, addon["id"]) for addon in addons]
    pages = await asyncio.gather(*(api.client.post(
        f"/sandbox/checkout/{p['payment']['id']}/pay", headers={"Accept-Language": "en"})
        for p in placed))
    assert [r.status for r in pages] == [200] * 10
    texts = [await r.text() for r in pages]
    holdings = await held(api, ws, key)
    for addon, text in zip(addons, texts):
        if addon["id"] in holdings:
            assert "Payment succeeded" in text
        else:
            assert "Payment received; it is being applied" in text
    assert any("being applied" in t for t in texts)    # the race was lost at least once
