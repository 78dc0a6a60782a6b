"""The event catalog in use (issue 15 item 1): what a plan change, an add-on purchase and a
top-up emit, each once, with the object as the API shows it (read through GET /v1/events, as
a consumer would)."""
from datetime import timedelta

from service.events.catalog import EVENT_TYPES
from tests.addon_helpers import EXTRA_USER, buy_and_pay, create_addon
from tests.events.helpers import all_events, types_of
from tests.helpers import ADMIN_TOKEN, PHONE_A, press_pay, topup
from tests.subscription_helpers import change, pay, post, run_due, subscription, wib

DEC_21 = wib(2026, 12, 21, 10)  # end of the first period (created 2026-11-21 10:00 WIB)


async def test_a_plan_change_is_scheduled_then_changes_the_plan_and_the_limits(api):
    ws, key = await api.create_workspace([PHONE_A])
    assert await types_of(api, key, type="subscription.*,entitlements.*") == [
        "subscription.created", "entitlements.changed"]
    placed = await change(api, ws, key, "growth")
    await pay(api, placed)
    await run_due(api, DEC_21)
    await run_due(api, DEC_21)                                       # a pass re-run: no echo
    events = await all_events(api, key, type="subscription.*,entitlements.*")
    assert [e["type"] for e in events] == [
        "subscription.created", "entitlements.changed", "subscription.change_scheduled",
        "subscription.changed", "entitlements.changed"]
    scheduled, changed, limits = events[2]["data"], events[3]["data"], events[4]["data"]
    assert scheduled["scheduled_change"]["plan"] == "growth"
    assert scheduled["scheduled_change"]["timing"] == "end_of_term"
    assert (changed["plan"], changed["reason"]) == ("growth", "changed")
    shown = await subscription(api, ws, key)
    assert changed["current_period"] == {"start": shown["current_period"]["start"],
                                         "end": shown["current_period"]["end"]}
    assert limits["limits"] == {k: u["maximum"] for k, u in shown["usage"].items()}
    assert events[1]["data"]["limits"] != limits["limits"]           # Free's were announced
    invoice = next(e for e in await all_events(api, key, type="invoice.paid"))
    listed = (await (await api.client.get(f"/v1/workspaces/{ws}/invoices",
                                          headers=api.auth(key))).json())["invoices"]
    assert invoice["data"]["code"] == listed[0]["code"]
    assert invoice["data"]["amount"] == listed[0]["amount"]          # {amount, currency, formatted}
    assert invoice["data"]["lines"] == listed[0]["lines"]


async def test_renewal_cancel_and_the_move_to_free(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await run_due(api, wib(2026, 12, 19, 10))                        # renewal invoiced
    invoice = next(e["data"] for e in await all_events(api, key, type="invoice.created")
                   if e["data"]["type"] == "renewal")
    payment = (await (await api.client.post(
        f"/v1/workspaces/{ws}/invoices/{invoice['code'].replace('/', '%2F')}/pay",
        headers=api.auth(key))).json())["payment"]
    assert (await press_pay(api, payment["id"])).status == 200
    await run_due(api, DEC_21)                                       # renewed
    resp = await post(api, ws, key, "cancel")
    assert resp.status == 200, await resp.text()
    await run_due(api, wib(2027, 1, 21, 10))                         # moved to Free
    assert await types_of(api, key, type="subscription.*") == [
        "subscription.created", "subscription.renewed", "subscription.canceled",
        "subscription.moved_to_free"]
    assert (await subscription(api, ws, key))["plan"] == "free"


async def test_an_unpaid_renewal_starts_the_grace_then_moves_to_free(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await run_due(api, wib(2026, 12, 19, 10))                        # renewal invoiced
    await run_due(api, DEC_21 + timedelta(hours=1))                  # ended unpaid: grace
    await run_due(api, DEC_21 + timedelta(hours=2))                  # (once)
    await run_due(api, DEC_21 + timedelta(days=8))                   # grace over
    assert await types_of(api, key, type="subscription.*") == [
        "subscription.created", "subscription.grace_started", "subscription.moved_to_free"]


async def test_an_addon_purchase_adds_it_and_raises_the_limits(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, addon["id"], 2)
    events = await all_events(api, key, type="subscription.addon_added,entitlements.changed")
    assert [e["type"] for e in events] == ["entitlements.changed", "subscription.addon_added",
                                           "entitlements.changed"]
    assert events[1]["data"]["quantity"] == 2
    assert events[2]["data"]["limits"]["users"] == events[0]["data"]["limits"]["users"] + 2
    catalog = await types_of(api, ADMIN_TOKEN, type="addon.*")
    assert catalog == ["addon.created"]
    created = (await all_events(api, ADMIN_TOKEN, type="addon.created"))[0]
    shown = await (await api.client.get(f"/v1/admin/addons/{addon['id']}",
                                        headers=api.auth(ADMIN_TOKEN))).json()
    assert created["data"] == shown and created["workspace_id"] is None


async def test_a_paid_topup_is_completed_once_with_its_invoice_and_payment(api):
    ws, key = await api.create_workspace([PHONE_A])
    ordered = await topup(api, ws, key, "conversation", 50_000)
    for _ in range(2):                                               # the provider retries
        assert (await press_pay(api, ordered["payment"]["id"])).status == 200
    got = await types_of(api, key, type="topup.*,invoice.*,payment.*")
    assert got == ["invoice.created", "payment.succeeded", "invoice.paid", "topup.completed"]
    completed = (await all_events(api, key, type="topup.completed"))[0]
    assert completed["data"]["amount"]["amount"] == 50_000
    assert completed["data"]["status"] == "paid"


def test_the_catalog_names_every_type_the_issue_asks_for():
    asked = """invoice.created invoice.paid invoice.expired payment.succeeded payment.failed
    payment.needs_refund payment.refunded topup.completed subscription.created
    subscription.changed subscription.change_scheduled subscription.renewed
    subscription.canceled subscription.moved_to_free subscription.grace_started
    subscription.addon_added subscription.addon_updated subscription.addon_removed
    entitlements.changed wallet.balance_low wallet.depleted wallet.arrears_started
    wallet.arrears_settled addon.created addon.updated addon.deleted""".split()
    assert set(asked) <= set(EVENT_TYPES)
