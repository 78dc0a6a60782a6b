"""The story of issue 5, end to end over HTTP: the agency builds its add-ons, a reseller assigns
them to its customer, and the customer buys, changes and stops them, with correct invoices."""
from tests.addon_helpers import (ADMIN, EXTRA_CONTACTS, EXTRA_USER, FEATURE_BUNDLE,
                                 MESSAGE_PACK, WA_CONV, addons_url, bought, check, create_addon,
                                 create_reseller, held, set_quantity, stop)
from tests.helpers import account_credit, PHONE_A, assert_reconciled, fill_billing_info, press_pay
from tests.subscription_helpers import invoices, post, run_due, subscription, wib


async def pay(api, placed: dict) -> None:
    resp = await press_pay(api, placed["payment"]["id"])
    assert resp.status == 200


async def test_agency_reseller_and_customer(api):
    # 1. The agency builds its catalog and signs up a reseller.
    ids = {body["name"]: (await create_addon(api, body))["id"] for body in (
        WA_CONV, MESSAGE_PACK, EXTRA_USER, EXTRA_CONTACTS, FEATURE_BUNDLE)}
    user, contacts, bundle = ids["additional-user"], ids["additional-contacts"], \
        ids["developer-bundle"]
    _, reseller_key = await create_reseller(api, "Mitra Digital")

    # 2. The reseller creates its customer's workspace (Growth) and sees what it can assign.
    resp = await api.client.post("/v1/workspaces", headers=api.auth(reseller_key), json={
        "name": "Toko Budi", "phone_number_ids": [PHONE_A], "plan": "growth",
        "complimentary": True})
    ws, key = (await resp.json())["workspace"]["id"], (await resp.json())["api_key"]
    await fill_billing_info(api, ws, reseller_key)    # the reseller fills it for its customer
    resp = await api.client.get("/v1/addons", params={"workspace_id": ws},
                                headers=api.auth(reseller_key))
    assert sorted(a["name"] for a in (await resp.json())["addons"]) == [
        "additional-contacts", "additional-user", "broadcast-pack-500", "wa-conv-1000"]

    # 3. On Dec 1 (20 of 30 days left) the reseller assigns two extra users; the customer pays.
    api.clock.set(wib(2026, 12, 1, 10))
    placed = await bought(api, ws, reseller_key, user, 2)
    assert placed["invoice"]["amount"]["amount"] == 65_333          # 2 × 49 000 × 20/30
    await pay(api, placed)

    # 4. The customer buys conversation credit, a broadcast pack and more contacts.
    for addon_id, amount in ((ids["wa-conv-1000"], 30_000),
                             (ids["broadcast-pack-500"], 300_000), (contacts, 16_667)):
        placed = await bought(api, ws, key, addon_id)
        assert placed["invoice"]["amount"]["amount"] == amount
        await pay(api, placed)
    assert await api.amounts(ws, key) == {"conversation": (30_000, 30_000, 0),
                                          "broadcast": (0, 325_000, 0)}
    assert (await check(api, ws, key, "users"))["limit"] == 7
    assert (await check(api, ws, key, "contacts"))["limit"] == 11_000

    # 5. Dec 6: three users (invoice for half a month of one); Dec 11: back to one (credit).
    api.clock.set(wib(2026, 12, 6, 10))
    changed = await (await set_quantity(api, ws, key, user, 3)).json()
    assert changed["invoice"]["amount"]["amount"] == 24_500
    await pay(api, changed)
    api.clock.set(wib(2026, 12, 11, 10))
    changed = await (await set_quantity(api, ws, key, user, 1)).json()
    assert changed["credit"]["amount"] == 32_667                    # 2 × 49 000 × 10/30

    # 6. Upgrade to Pro next cycle with the developer bundle; the invoice lists every add-on,
    #    and the account credit of step 5 is used first (issue 11).
    change = await (await post(api, ws, key, "change", {
        "plan": "pro", "period": "monthly",
        "addons": [{"addon_id": bundle, "quantity": 1}]})).json()
    lines = {line["description"]: line["amount"]["amount"]
             for line in change["invoice"]["lines"]}
    assert sorted(lines.values()) == [-32_667, 25_000, 49_000, 150_000, 599_000]
    assert change["invoice"]["amount"]["amount"] == 823_000 - 32_667
    await pay(api, change)

    # 7. Contacts stop at the period end (already paid for the next one: credited then).
    resp = await stop(api, ws, key, contacts)
    stopping = {a["addon_id"]: a for a in (await resp.json())["subscription"]["addons"]}
    assert stopping[contacts]["stops_at_period_end"] is True
    await run_due(api, wib(2026, 12, 21, 10))
    sub = await subscription(api, ws, key)
    assert sub["plan"] == "pro" and sub["entitlements"] == ["api_access", "webhooks"]
    assert {a["name"]: a["quantity"] for a in sub["addons"]} == {
        "additional-user": 1, "developer-bundle": 1}
    assert (await check(api, ws, key, "api_access"))["allowed"] is True
    assert (await check(api, ws, key, "users"))["limit"] == 16

    # 8. Dec 26 (26 of 31 days left): the last extra user stops now: account credit, with the
    #    contacts' paid next period of step 7; the WhatsApp wallet keeps what packs bought.
    api.clock.set(wib(2026, 12, 26, 10))
    resp = await api.client.delete(addons_url(ws, user), params={"when": "now"},
                                   headers=api.auth(key))
    assert (await resp.json())["credit"]["amount"] == 41_097        # 49 000 × 26/31
    assert (await api.amounts(ws, key))["conversation"] == (60_000, 30_000, 0)
    assert await account_credit(api, ws, key) == (25_000 + 41_097, [32_667, 25_000, 41_097])
    assert set(await held(api, ws, key)) == {bundle}

    every = await invoices(api, ws, key)
    assert sorted((i["type"], i["status"]) for i in every) == sorted(
        [("addon", "paid")] * 5 + [("plan_change", "paid")])
    resp = await api.client.get("/v1/workspaces", headers=api.auth(reseller_key))
    assert [w["id"] for w in (await resp.json())["workspaces"]] == [ws]
    assert (await api.client.get("/v1/admin/reconcile", headers=ADMIN)).status == 200
    await assert_reconciled(api)
