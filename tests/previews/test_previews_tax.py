"""Previews with PPN configured (issue 11, items 1 and 4): a preview's `tax` is the tax block the
order's invoice then shows, computed by the same function at the same instant, and its total is
the invoice's amount, for tax-exclusive and tax-inclusive prices and with an exempt add-on."""
from datetime import timedelta

from tests.addon_helpers import EXTRA_USER, addon_body, buy_and_pay, create_addon
from tests.helpers import PHONE_A
from tests.invoices.test_invoice_tax import money, put_tax, rate, schedule
from tests.previews.preview_helpers import order, preview, same

EXEMPT = addon_body("exempt-seat", display_name="Exempt seat", tax_exempt=True,
                    periods={"monthly": {"currency": "IDR", "amount": 50_000}})


async def test_a_renewal_preview_shows_ppn_11_exclusive_as_its_invoice_will(api):
    await put_tax(api, schedule({"plan": rate(11), "addon": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    exempt = await create_addon(api, EXEMPT)
    await buy_and_pay(api, ws, key, exempt["id"], 2)
    p = await preview(api, ws, key, "renewal")
    # Growth Rp299.000 taxed, the exempt add-on 2 × Rp50.000 not
    assert p["tax"] == {"subtotal": money(399_000), "tax_base": money(299_000),
                        "tax_rate": "PPN 11%", "tax_amount": money(32_890),
                        "total": money(431_890), "prices_include_tax": False}
    assert p["taxes"] == [p["tax"]] and p["totals"] == [money(431_890)]
    placed = await order(api, ws, key, "renewal")
    assert placed["invoice"]["tax"] == p["tax"]
    assert placed["invoice"]["amount"] == money(431_890)
    same(p, placed)


async def test_an_addon_purchase_preview_with_inclusive_ppn_12_of_11_12_is_its_invoice(api):
    await put_tax(api, schedule({"addon": rate(12, base=(11, 12))}, inclusive=True))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, EXTRA_USER)
    api.clock.advance(timedelta(days=7, hours=3, minutes=11))
    p = await preview(api, ws, key, "addon_purchase", addon_id=seat["id"], quantity=3)
    price = p["lines"][0]["amount"]["amount"]
    assert p["totals"] == [p["tax"]["total"]] and p["tax"]["total"]["amount"] == price
    assert p["tax"]["tax_rate"] == "PPN 12% × 11/12" and p["tax"]["prices_include_tax"]
    assert p["tax"]["subtotal"]["amount"] + p["tax"]["tax_amount"]["amount"] == price
    same(p, await order(api, ws, key, "addon_purchase", addon_id=seat["id"], quantity=3))


async def test_plan_change_quantity_and_topup_previews_carry_the_invoices_tax(api):
    await put_tax(api, schedule({"plan": rate(11), "addon": rate(11), "topup": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat, exempt = await create_addon(api, EXTRA_USER), await create_addon(api, EXEMPT)
    await buy_and_pay(api, ws, key, seat["id"], 1)
    api.clock.advance(timedelta(days=5, hours=2))
    for kind, fields in [("addon_quantity", {"addon_id": seat["id"], "quantity": 3}),
                         ("topup", {"balance": "conversation", "amount": 100_000}),
                         ("plan_change", {"plan": "pro", "period": "monthly", "addons": [
                             {"addon_id": exempt["id"], "quantity": 1}]})]:
        p = await preview(api, ws, key, kind, **fields)
        assert p["tax"] and p["tax"]["tax_amount"]["amount"] > 0, (kind, p)
        same(p, await order(api, ws, key, kind, **fields))


async def test_a_credit_made_now_has_no_tax_and_no_schedule_means_no_tax(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    seat = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, seat["id"], 2)
    untaxed = await preview(api, ws, key, "renewal")
    assert (untaxed["tax"], untaxed["taxes"]) == (None, [])
    await put_tax(api, schedule({"addon": rate(11)}))
    api.clock.advance(timedelta(days=3))
    p = await preview(api, ws, key, "addon_stop", addon_id=seat["id"])
    assert p["takes_effect"] == "now" and (p["tax"], p["taxes"]) == (None, [])
    same(p, await order(api, ws, key, "addon_stop", addon_id=seat["id"]))
