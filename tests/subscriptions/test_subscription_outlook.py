"""What the subscription screen shows (issue 11 item 6): `GET …/subscription` gives the next
renewal's date and amount (tax included, as the renewal preview and then the renewal invoice),
each held add-on's price in that renewal, and one-time add-ons bought in `addon_history`."""
from datetime import timedelta

from tests.addon_helpers import EXTRA_USER, WA_CONV, bought, buy_and_pay, create_addon
from tests.helpers import PHONE_A
from tests.invoices.test_invoice_tax import money, put_tax, rate, schedule
from tests.previews.preview_helpers import order, preview


async def subscription(api, ws: str, key: str) -> dict:
    resp = await api.client.get(f"/v1/workspaces/{ws}/subscription", headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_the_subscription_shows_the_next_renewal_addon_prices_and_one_time_history(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat, pack = await create_addon(api, EXTRA_USER), await create_addon(api, WA_CONV)
    await buy_and_pay(api, ws, key, seat["id"], 2)
    api.clock.advance(timedelta(days=3))
    paid = await buy_and_pay(api, ws, key, pack["id"], 1)
    await bought(api, ws, key, pack["id"], 1)              # not paid: not in the history
    sub = await subscription(api, ws, key)
    assert sub["next_renewal"] == {"date": sub["current_period"]["end"],
                                   "amount": money(299_000 + 2 * 49_000),
                                   "totals": [money(397_000)]}
    held = {a["addon_id"]: a for a in sub["addons"]}
    assert held[seat["id"]]["price_next_period"] == money(98_000)
    assert [(h["addon_id"], h["quantity"], h["amount"], h["invoice_code"])
            for h in sub["addon_history"]] == [
        (pack["id"], 1, money(30_000), paid["invoice"]["code"])]
    assert sub["addon_history"][0]["display_name"] == "Extra 1.000 WhatsApp conversations"


async def test_the_next_renewal_amount_includes_ppn_and_is_what_renew_invoices(api):
    await put_tax(api, schedule({"plan": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    sub = await subscription(api, ws, key)
    assert sub["next_renewal"]["amount"] == money(331_890)
    assert sub["next_renewal"]["totals"] == (await preview(api, ws, key, "renewal"))["totals"]
    renewed = await order(api, ws, key, "renewal")
    assert renewed["invoice"]["amount"] == sub["next_renewal"]["amount"]


async def test_a_free_workspace_has_no_next_renewal_and_no_history(api):
    ws, key = await api.create_workspace([PHONE_A])
    sub = await subscription(api, ws, key)
    assert (sub["next_renewal"], sub["addon_history"]) == (None, [])
