"""A clean history passes reconcile's cause checks (issue 18): subscriptions, top-ups, add-ons
bought, decreased, stopped and renewed, an immediate upgrade, WhatsApp charges, a lapse to
Free and its expiries, all through the API and the billing pass."""
from tests.addon_helpers import (EXTRA_USER, WA_CONV, addon_body, bought, create_addon,
                                 set_quantity, stop)
from tests.helpers import PHONE_A, app_services, press_pay, status, status_payload, topup
from tests.subscription_helpers import IMMEDIATE_UPGRADES, change, run_due, set_policy, wib

SEAT = addon_body("seat", periods={"monthly": {"currency": "IDR", "amount": 100_000}})


async def pay_everything_open(api, ws: str) -> int:
    """Press Pay on every pending payment of the workspace (renewal invoices included)."""
    db = app_services(api).db
    pending = [d["payment_id"] async for d in db.invoices.find(
        {"workspace_id": ws, "status": "pending"}) if d.get("payment_id")]
    for payment_id in pending:
        assert (await press_pay(api, payment_id)).status == 200
    return len(pending)


async def charge(api, wamid: str, category: str) -> None:
    resp = await api.webhook(status_payload(PHONE_A, [status(wamid, "delivered", category)]))
    assert resp.status == 200


async def assert_clean(api) -> dict:
    body = await api.reconcile()
    assert body["violations"] == [] and body["ok"] is True, body
    return body


async def test_a_year_of_ordinary_billing_reconciles(api):
    await set_policy(api, IMMEDIATE_UPGRADES)
    ws, key = await api.create_workspace([PHONE_A], plan="growth", complimentary=False)
    assert await pay_everything_open(api, ws) == 1                  # the first Growth invoice
    for balance, amount in (("conversation", 50_000), ("broadcast", 100_000)):
        placed = await topup(api, ws, key, balance, amount)
        assert (await press_pay(api, placed["payment"]["id"])).status == 200
    for i, category in enumerate(("service", "marketing", "utility", "service")):
        await charge(api, f"wamid.clean.{i}", category)

    seat, user, pack = [(await create_addon(api, body))["id"] for body in (SEAT, EXTRA_USER,
                                                                           WA_CONV)]
    await bought(api, ws, key, seat, 6)
    await bought(api, ws, key, user, 2)
    await bought(api, ws, key, pack, 2)
    assert await pay_everything_open(api, ws) == 3
    api.clock.set(wib(2026, 11, 26, 10))
    assert (await set_quantity(api, ws, key, seat, 4)).status == 200     # credited
    assert (await set_quantity(api, ws, key, seat, 2)).status == 200     # credited again
    assert (await stop(api, ws, key, user, "now")).status == 200         # credited
    await assert_clean(api)

    api.clock.set(wib(2026, 12, 1, 10))
    upgraded = await change(api, ws, key, "pro")                    # immediate: upgrade grant
    if upgraded["invoice"]["status"] == "pending":   # else account credit paid it (issue 11)
        assert (await press_pay(api, upgraded["payment"]["id"])).status == 200
    await charge(api, "wamid.clean.pro", "marketing")
    await assert_clean(api)

    await run_due(api, wib(2026, 12, 18, 10))                       # renewal invoices
    await pay_everything_open(api, ws)
    await run_due(api, wib(2026, 12, 21, 10))                       # boundary: expiry + grant
    api.clock.set(wib(2026, 12, 22, 10))
    assert (await set_quantity(api, ws, key, seat, 1)).status == 200
    await charge(api, "wamid.clean.renewed", "service")
    await assert_clean(api)

    await topup(api, ws, key, amount=70_000)                        # ordered, never paid
    for day in ((2027, 1, 18), (2027, 1, 21), (2027, 1, 29), (2027, 2, 21)):
        await run_due(api, wib(*day, 10))                           # unpaid: lapses to Free
    entries = [d async for d in app_services(api).db.ledger.find({"workspace_id": ws})]
    kinds = {d["kind"] for d in entries}
    assert {"grant", "expiry", "topup", "addon_credit", "charge"} <= kinds, kinds
    assert any(":upgrade:" in d["_id"] for d in entries)
    credit = [e async for a in app_services(api).db.account_credit.find({"workspace_id": ws})
              for e in a["entries"]]                                # refunds: account credit
    assert sum(e["key"].startswith("addon_refund:") for e in credit) >= 3
    assert {e["kind"] for e in credit} >= {"credit", "applied"}
    sub = await app_services(api).db.subscriptions.find_one({"_id": ws})
    assert sub["plan"] == "free"
    await assert_clean(api)
