"""Buy Add-ons and Manage Add-ons in the portal (issue 12 screens 4 and 5): what a workspace may
buy with its period price, the Order Summary's numbers (the previews API's, tax and account
credit included), ➕/➖ and the maximum, Continue To Payment placed once, stopping at the period
end (and keeping it after all) or now with its credit, CSRF, and add-ons of others."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.addon_helpers import (EXTRA_CONTACTS, EXTRA_USER, FEATURE_BUNDLE, WA_CONV,
                                 addon_body, buy_and_pay, create_addon, held)
from tests.helpers import PHONE_A, PHONE_B, account_credit, press_pay
from tests.invoices.test_invoice_tax import put_tax, rate, schedule
from tests.previews.preview_helpers import preview
from tests.subscription_helpers import invoices, wib

MID = wib(2026, 12, 6, 10)          # half of the period Nov 21 → Dec 21 left


def buy_url(addon_id: str, **query) -> str:
    return f"/portal/addons/buy/{addon_id}" + ("?" + "&".join(
        f"{k}={v}" for k, v in query.items()) if query else "")


def order_form(page: str) -> dict:
    """The Continue To Payment form's fields, as the browser would send them."""
    form = page[page.index('method="post" action="/portal/addons/buy/'):]
    return dict(re.findall(r'name="(idem|quantity)" value="([^"]*)"', form[:form.index("</form>")]))


async def test_buy_addons_lists_what_the_workspace_may_buy_with_its_period_price(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await create_addon(api, WA_CONV)
    await create_addon(api, FEATURE_BUNDLE)                                   # Pro only
    await create_addon(api, addon_body("hidden", display_name="Hidden Seat",
                                       visibility={"resellers": "all", "direct": False}))
    browser = await portal(ws, key)
    status, page = await browser.get("/portal/addons/buy")
    assert status == 200 and "Beli Add-on" in page
    assert "Additional User" in page and "Rp49.000" in page and "per bulan" in page
    assert "Extra 1.000 WhatsApp conversations" in page and "Rp30.000" in page
    assert "Developer bundle" not in page and "Hidden Seat" not in page
    assert f'href="/portal/addons/buy/{user["id"]}"' in page
    await browser.post("/portal/locale", {"lang": "en"})
    page = (await browser.get("/portal/addons/buy"))[1]
    assert "Buy Add-ons" in page and "IDR 49,000" in page and "per month" in page


async def test_the_order_summary_shows_the_previews_numbers_with_tax_and_credit(api, portal):
    await put_tax(api, schedule({"addon": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user, contacts = await create_addon(api, EXTRA_USER), await create_addon(api, EXTRA_CONTACTS)
    await buy_and_pay(api, ws, key, user["id"], 1)
    api.clock.set(MID)
    resp = await api.client.delete(f"/v1/workspaces/{ws}/subscription/addons/{user['id']}",
                                   params={"when": "now"}, headers=api.auth(key))
    assert resp.status == 200                      # Rp24.500 of account credit
    browser = await portal(ws, key)
    status, page = await browser.get(buy_url(contacts["id"], quantity=1, step=1))   # ➕
    assert status == 200 and "Ringkasan Pesanan" in page
    p = await preview(api, ws, key, "addon_purchase", addon_id=contacts["id"], quantity=2)
    assert p["credits_applied"] and p["tax"]
    line = p["lines"][0]
    shown = [line["description"], line["amount"]["formatted"], line["unit_price"]["formatted"],
             p["credits_applied"][0]["description"], p["credits_applied"][0]["amount"]["formatted"],
             p["tax"]["tax_rate"], p["tax"]["tax_amount"]["formatted"],
             p["tax"]["subtotal"]["formatted"], p["totals"][0]["formatted"]]
    assert [s for s in shown if s not in page] == []
    assert 'id="order-total">' + p["totals"][0]["formatted"] in page
    assert "50%" in page and "6 Des 2026" in page and "21 Des 2026" in page   # prorated, why
    assert re.search(r'id="quantity" name="quantity" type="number"[^>]*value="2"', page)
    # htmx asks for the summary only
    status, fragment = await browser.get(buy_url(contacts["id"], quantity=2, step=-1),
                                         headers={"HX-Request": "true"})
    p1 = await preview(api, ws, key, "addon_purchase", addon_id=contacts["id"], quantity=1)
    assert status == 200 and "<html" not in fragment and 'id="order"' in fragment
    assert p1["totals"][0]["formatted"] in fragment and p["totals"][0]["formatted"] not in fragment


async def test_a_quantity_above_the_maximum_is_a_field_error_and_nothing_is_ordered(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)                               # at most 50
    browser = await portal(ws, key)
    status, page = await browser.get(buy_url(user["id"], quantity=50))
    assert status == 200 and re.search(r'id="qty-plus"[^>]*disabled', page)     # ➕ at most
    assert not re.search(r'id="qty-minus"[^>]*disabled', page)
    status, page = await browser.get(buy_url(user["id"], quantity=51))
    assert status == 422 and 'id="quantity-error"' in page
    assert "lebih dari jumlah terbanyak" in page and 'aria-invalid="true"' in page
    status, page = await browser.get(buy_url(user["id"], quantity=50, step=1),    # htmx: swapped
                                     headers={"HX-Request": "true"})         # only if 2xx
    assert status == 200 and 'id="quantity-error"' in page and "<html" not in page
    assert re.search(r'type="submit" class="btn btn-primary" disabled', page)
    status, page = await browser.get(buy_url(user["id"], quantity="dua"))
    assert status == 422 and 'id="quantity-error"' in page and "Traceback" not in page
    fields = order_form((await browser.get(buy_url(user["id"])))[1])
    status, page, _ = await browser.post(buy_url(user["id"]), {**fields, "quantity": "51"})
    assert status == 422 and 'id="quantity-error"' in page
    status, page, _ = await browser.post(buy_url(user["id"]), {**fields, "quantity": "0"})
    assert status == 422 and 'id="quantity-error"' in page
    assert await invoices(api, ws, key) == [] and await held(api, ws, key) == {}


async def test_continue_to_payment_orders_once_then_pay_lists_the_addon(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    browser = await portal(ws, key)
    fields = order_form((await browser.get(buy_url(user["id"], quantity=2)))[1])
    assert fields["quantity"] == "2"
    status, _, where = await browser.post(buy_url(user["id"]), fields)
    assert status == 303 and where.startswith("/sandbox/checkout/")
    again = await browser.post(buy_url(user["id"]), fields)                   # double click
    assert again[0] == 303 and again[2] == where
    assert len(await invoices(api, ws, key)) == 1
    resp = await press_pay(api, where.rsplit("/", 1)[1])
    assert resp.status == 200
    page = (await browser.get("/portal/addons"))[1]
    row = page[page.index("<tbody>"):page.index("</tbody>")]
    assert "Additional User" in row and ">2</td>" in row and "21 Des 2026" in row
    assert "Rp98.000" in row and "Aktif" in row


async def test_an_order_without_billing_information_leads_to_the_form_and_back(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth", billing_info=False)
    user = await create_addon(api, EXTRA_USER)
    browser = await portal(ws, key)
    fields = order_form((await browser.get(buy_url(user["id"], quantity=2)))[1])
    status, _, where = await browser.post(buy_url(user["id"]), fields)
    assert status == 303 and urlsplit(where).path == "/portal/billing-info"
    assert parse_qs(urlsplit(where).query)["next"] == [buy_url(user["id"], quantity=2)]
    assert await invoices(api, ws, key) == []


async def test_stop_at_the_period_end_shows_it_stopping_and_keep_undoes_it(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 2)
    api.clock.set(MID)
    browser = await portal(ws, key)
    page = (await browser.get("/portal/addons"))[1]
    p = await preview(api, ws, key, "addon_stop", addon_id=user["id"])
    credit = p["lines"][0]["amount"]["formatted"].lstrip("-")                # Rp49.000
    dialog = page[page.index(f'<dialog id="stop-{user["id"]}"'):page.index("</dialog>")]
    assert "Ya, Hentikan" in dialog and credit in dialog and "21 Des 2026" in dialog
    idem = re.search(r'name="idem" value="([^"]+)"', dialog).group(1)
    status, _, where = await browser.post(f"/portal/addons/{user['id']}/stop",
                                          {"idem": idem, "when": "end"})
    assert status == 303 and where == "/portal/addons?done=stopping"
    assert (await held(api, ws, key))[user["id"]]["stops_at_period_end"] is True
    page = (await browser.get(where))[1]
    assert "Berhenti pada 21 Des 2026" in page and "Tetap pakai" in page
    idem = re.search(r'/keep"[^>]*>\s*<input[^>]*>\s*'
                     r'<input type="hidden" name="idem" value="([^"]+)"', page).group(1)
    status, _, where = await browser.post(f"/portal/addons/{user['id']}/keep", {"idem": idem})
    assert status == 303 and (await held(api, ws, key))[user["id"]]["stops_at_period_end"] is False
    assert await account_credit(api, ws, key) == (0, [])


async def test_stop_now_credits_what_its_confirmation_said(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 2)
    api.clock.set(MID)
    browser = await portal(ws, key)
    await browser.post("/portal/locale", {"lang": "en"})
    status, page = await browser.get(f"/portal/addons/{user['id']}/stop")     # without JS
    assert status == 200 and "Yes, Stop" in page and "IDR 49,000" in page
    status, _, where = await browser.post(f"/portal/addons/{user['id']}/stop", {"when": "now"})
    assert status == 303 and where == "/portal/addons?done=stopped&credit=49000"
    page = (await browser.get(where))[1]
    assert "IDR 49,000 was added to your account credit" in page
    assert "You have no add-ons yet" in page
    assert await account_credit(api, ws, key) == (49_000, [49_000])
    status, page, _ = await browser.post(f"/portal/addons/{user['id']}/stop", {"when": "later"})
    assert status == 404                                                      # not held now


async def test_forms_without_the_csrf_token_change_nothing(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user, contacts = await create_addon(api, EXTRA_USER), await create_addon(api, EXTRA_CONTACTS)
    await buy_and_pay(api, ws, key, user["id"], 2)
    browser = await portal(ws, key)
    status, _, _ = await browser.post(buy_url(contacts["id"]), {"quantity": "1"}, csrf=False)
    assert status == 403
    status, _, _ = await browser.post(f"/portal/addons/{user['id']}/stop", {"when": "now"},
                                      csrf=False)
    assert status == 403
    assert len(await invoices(api, ws, key)) == 1
    assert (await held(api, ws, key))[user["id"]]["stops_at_period_end"] is False
    assert await account_credit(api, ws, key) == (0, [])


async def test_another_workspaces_addons_are_not_found(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    other, other_key = await api.create_workspace([PHONE_B], plan="growth")
    theirs = await create_addon(api, EXTRA_USER)
    hidden = await create_addon(api, addon_body("hidden", visibility={"resellers": "all",
                                                                      "direct": False}))
    await buy_and_pay(api, other, other_key, theirs["id"], 1)
    browser = await portal(ws, key)
    assert (await browser.get(f"/portal/addons/{theirs['id']}/stop"))[0] == 404
    for path in (f"/portal/addons/{theirs['id']}/stop", f"/portal/addons/{theirs['id']}/keep"):
        status, page, _ = await browser.post(path, {"when": "now"})
        assert status == 404 and "Traceback" not in page
    assert (await held(api, other, other_key))[theirs["id"]]["quantity"] == 1
    assert await account_credit(api, other, other_key) == (0, [])
    assert (await browser.get(buy_url(hidden["id"])))[0] == 404
    assert (await browser.post(buy_url(hidden["id"]), {"quantity": "1"}))[0] == 404
    assert (await browser.get(buy_url("ad_nothing")))[0] == 404
    assert await invoices(api, ws, key) == []


async def test_manage_addons_empty_state(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    browser = await portal(ws, key)
    status, page = await browser.get("/portal/addons")
    assert status == 200 and "Kelola Add-on" in page and "Anda belum punya add-on" in page
    assert 'href="/portal/addons/buy"' in page


async def test_the_stop_page_is_headed_by_its_question_and_add_on_is_written_one_way(api, portal):
    """Without JavaScript the stop dialog is a page of its own: its question is the page's h1.
    Every add-on page writes "Add-on" as the catalog does (not "Add-on"), in both languages."""
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])
    browser = await portal(ws, key)
    paths = ("/portal/addons", "/portal/addons/buy", buy_url(user["id"]),
             f"/portal/addons/{user['id']}/stop")
    for lang, stop in (("id", "Hentikan Additional User?"), ("en", "Stop Additional User?")):
        await browser.post("/portal/locale", {"lang": lang})
        pages = {path: (await browser.get(path))[1] for path in paths}
        assert re.findall(r"<h1[^>]*>([^<]*)</h1>", pages[paths[-1]]) == [stop]
        assert [p for p, page in pages.items() if re.search("Add-O" + "n", page)] == []
    assert re.findall(r"<h1>([^<]*)</h1>", pages["/portal/addons"]) == ["Manage Add-ons"]
