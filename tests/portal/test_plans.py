"""Upgrade / downgrade pages (issue 12, screen 2): the plans side by side with their savings, the
Order Summary with the numbers the previews API gives (tax and credit included), ➕/➖ and Update
without JavaScript, the htmx fragment, bad quantities at their field, CSRF, another workspace's
add-on, the downgrade notice, Buy Now to the payment page and billing information first."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from tests.addon_helpers import (EXTRA_USER, FEATURE_BUNDLE, addon_body, buy_and_pay,
                                 create_addon, create_reseller, reseller_workspace)
from tests.helpers import PHONE_A, PHONE_B, press_pay
from tests.invoices.test_invoice_tax import put_tax, rate, schedule
from tests.credit.test_account_credit import with_credit
from tests.subscription_helpers import IMMEDIATE_UPGRADES, set_policy, subscription

PLANS = "/portal/plans"


def text(page: str) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def summary_of(page: str) -> str:
    return text(page[page.index('id="summary"'):])


def form_of(page: str) -> dict:
    """The Order Summary form's hidden fields and quantities, as a browser would send them."""
    form = page[page.index('action="/portal/plans"'):]
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', form)}


async def _growth_users(api, browser, ws, key, users="2", period="yearly", lang="en"):
    """The page's summary and the API's preview of Growth `period` with `users` extra users."""
    addon = await create_addon(api, EXTRA_USER)
    status, page = await browser.get(f"{PLANS}?plan=growth&period={period}"
                                     f"&qty.{addon['id']}={users}")
    p = await api.client.post(f"/v1/workspaces/{ws}/previews", headers={
        **api.auth(key), "Accept-Language": lang}, json={
        "kind": "plan_change", "plan": "growth", "period": period,
        "addons": [{"addon_id": addon["id"], "quantity": int(users)}]})
    return addon, status, page, await p.json()


async def test_the_plans_side_by_side_with_the_saving_of_longer_periods(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get(PLANS)
    assert status == 200
    seen = text(page)
    for words in ("Upgrade Subscription", "Free", "Growth", "Pro", "Current plan",
                  "Yearly IDR 2,990,000 Save IDR 598,000 (17%)",  # 12 × 299.000 − 2.990.000
                  "Quarterly IDR 849,000 Save IDR 48,000 (5%)", "Monthly IDR 599,000",
                  "Users: 5", "Contacts: 10,000", "Choose a plan and a period above."):
        assert words in seen, words
    assert 'aria-label="Choose Growth, Yearly"' in page
    assert 'href="/portal/plans?plan=growth&amp;period=yearly#summary"' in page
    # Indonesian: the same page translated
    await browser.post("/portal/locale", {"lang": "id"})
    seen = text((await browser.get(PLANS))[1])
    assert "Tingkatkan Langganan" in seen and "Hemat Rp598.000 (17%)" in seen
    assert "Paket saat ini" in seen and "Tahunan" in seen


async def test_the_order_summary_shows_the_previews_numbers(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    addon, status, page, p = await _growth_users(api, browser, ws, key)
    assert status == 200
    shown = summary_of(page)
    for line in p["lines"]:
        assert line["description"] in shown and line["amount"]["formatted"] in shown
    assert p["totals"][0]["formatted"] == "IDR 3,970,000"     # 2.990.000 + 2 × 490.000
    assert f"Total {p['totals'][0]['formatted']}" in shown
    assert "(2 × IDR 490,000)" in shown
    assert "Takes effect: next billing cycle, 21 Dec 2026" in shown
    assert "This is a downgrade" not in shown
    assert form_of(page)[f"qty.{addon['id']}"] == "2"


async def test_tax_and_account_credit_lines_are_the_previews(api, portal):
    await put_tax(api, schedule({"plan": rate(11), "addon": rate(11)}))
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)          # Indonesian
    _, status, page, p = await _growth_users(api, browser, ws, key, lang="id")
    assert status == 200 and p["tax"]
    shown = summary_of(page)
    tax = p["tax"]
    for words in (f"Subtotal {tax['subtotal']['formatted']}",
                  f"Dasar pengenaan pajak {tax['tax_base']['formatted']}",
                  f"{tax['tax_rate']} {tax['tax_amount']['formatted']}",
                  f"Total {p['totals'][0]['formatted']}", "Berlaku: siklus tagihan berikutnya"):
        assert words in shown, (words, shown)


async def test_plus_and_minus_without_javascript_and_the_htmx_fragment(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    addon = await create_addon(api, EXTRA_USER)
    _, page = await browser.get(f"{PLANS}?plan=growth&period=yearly")
    form = form_of(page)
    assert form[f"qty.{addon['id']}"] == "0"
    # ➕ without JavaScript: a POST, then the page of the new summary (reload-safe)
    status, _, where = await browser.post(PLANS, {**form, "inc": addon["id"]})
    assert status == 303 and where.endswith("#summary")
    query = parse_qs(urlsplit(where).query)
    assert query == {"plan": ["growth"], "period": ["yearly"], f"qty.{addon['id']}": ["1"]}
    _, page = await browser.get(where)
    assert "Total IDR 3,480,000" in summary_of(page)
    # htmx: the summary alone, recomputed, its address for the history entry
    async with browser.http.post(browser.url(f"{PLANS}/summary"), data={
            **form_of(page), "inc": addon["id"]}, headers={"X-CSRF-Token": browser.csrf,
                                                           "HX-Request": "true"}) as resp:
        fragment = await resp.text()
        assert resp.status == 200 and fragment.startswith('<section id="summary"')
        assert resp.headers["HX-Replace-Url"].endswith(f"qty.{addon['id']}=2")
    assert "Total IDR 3,970,000" in text(fragment) and "<html" not in fragment
    # ➖ down to nothing
    status, _, where = await browser.post(PLANS, {**form_of(page), "dec": addon["id"]})
    assert status == 303 and "qty." not in where


async def test_bad_quantities_are_shown_at_their_field_and_nothing_is_ordered(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    addon = await create_addon(api, EXTRA_USER)          # at most 50
    _, page = await browser.get(f"{PLANS}?plan=growth&period=yearly")
    for value, message in (("51", "That is more than the most you can have of this add-on."),
                           ("-1", "Enter a whole number of 0 or more."),
                           ("two", "Enter a whole number of 0 or more.")):
        form = {**form_of(page), f"qty.{addon['id']}": value}
        status, body, _ = await browser.post(PLANS, {**form, "op": "buy"})
        assert status == 422, value
        field = body[body.index(f'id="qty-{addon["id"]}"'):]
        assert 'aria-invalid="true"' in field[:600] and message in text(field)[:400], value
        assert f'value="{value}"' in field[:300]
    assert (await subscription(api, ws, key))["scheduled_change"] is None
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", headers=api.auth(key))
    assert (await resp.json())["invoices"] == []


async def test_buy_now_needs_the_sessions_csrf_token(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    _, page = await browser.get(f"{PLANS}?plan=growth&period=monthly")
    form = {k: v for k, v in form_of(page).items() if k != "csrf_token"}
    status, body, _ = await browser.post(PLANS, {**form, "op": "buy"}, csrf=False)
    assert status == 403 and "kedaluwarsa" in body
    status, _, _ = await browser.post(PLANS, {**form, "op": "buy", "csrf_token": "forged"},
                                      csrf=False)
    assert status == 403
    status, _, _ = await browser.post(f"{PLANS}/summary", form, csrf=False)
    assert status == 403
    assert (await subscription(api, ws, key))["scheduled_change"] is None


async def test_buy_now_orders_once_and_leads_to_the_payment_page(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    addon = await create_addon(api, EXTRA_USER)
    _, page = await browser.get(f"{PLANS}?plan=growth&period=yearly&qty.{addon['id']}=2")
    form = {**form_of(page), "op": "buy"}
    status, _, where = await browser.post(PLANS, form)
    assert status == 303 and where.startswith("/sandbox/checkout/pay_")
    again = await browser.post(PLANS, form)              # a double click: the same order
    assert again[:1] == (303,) and again[2] == where
    payment_id = where.rsplit("/", 1)[1]
    assert (await press_pay(api, payment_id)).status == 200
    status, page = await browser.get(f"/portal/return/{payment_id}")
    assert status == 200 and "Pembayaran diterima" in page
    change = (await subscription(api, ws, key))["scheduled_change"]
    assert (change["plan"], change["period"]) == ("growth", "yearly")
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", headers=api.auth(key))
    invoices = (await resp.json())["invoices"]
    assert [i["amount"]["amount"] for i in invoices] == [3_970_000]


async def test_missing_billing_information_leads_to_its_form_and_back(api, portal):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    browser = await portal(ws, key)
    _, page = await browser.get(f"{PLANS}?plan=pro&period=monthly")
    status, _, where = await browser.post(PLANS, {**form_of(page), "op": "buy"})
    assert status == 303 and where.startswith("/portal/billing-info?next=")
    assert parse_qs(urlsplit(where).query)["next"] == ["/portal/plans?plan=pro&period=monthly"]
    assert (await subscription(api, ws, key))["scheduled_change"] is None


async def test_a_downgrade_lists_what_shrinks_and_the_addons_removed(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="pro")
    bundle = await create_addon(api, FEATURE_BUNDLE)          # Pro only
    await buy_and_pay(api, ws, key, bundle["id"])
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get(f"{PLANS}?plan=growth&period=monthly")
    assert status == 200
    shown = summary_of(page)
    for words in ("This is a downgrade. From 21 Dec 2026:", "Users: 15 → 5 (you use 0)",
                  "Contacts: 50,000 → 10,000", "Broadcast quota: 25,000 → 5,000",
                  "These add-ons will be removed: Developer bundle × 1", "Buy Now"):
        assert words in shown, (words, shown)
    # to Free: nothing to pay, the change is confirmed and scheduled, back to the overview
    _, page = await browser.get(f"{PLANS}?plan=free&period=monthly")
    assert "Confirm Change" in summary_of(page) and "Nothing to pay" in summary_of(page)
    status, _, where = await browser.post(PLANS, {**form_of(page), "op": "buy"})
    assert (status, where) == (303, "/portal")
    assert (await subscription(api, ws, key))["scheduled_change"]["plan"] == "free"
    assert "Already scheduled: Free, Monthly, from 21 Dec 2026. A new order replaces it." in \
        text((await browser.get(PLANS))[1])


async def test_another_workspaces_addon_and_payment_stay_out_of_reach(api, portal):
    """An add-on only another reseller's workspaces may buy is not offered, and ignored when
    sent anyway; that workspace's plan payment is "not found" here."""
    _, r1_key = await create_reseller(api, "R1")
    r2, r2_key = await create_reseller(api, "R2")
    ws, key = await reseller_workspace(api, r1_key, PHONE_A)
    other, other_key = await reseller_workspace(api, r2_key, PHONE_B)
    theirs = await create_addon(api, addon_body("r2-seat", visibility={"resellers": [r2],
                                                                       "direct": False}))
    their_browser = await portal(other, other_key, locale="en")
    _, page = await their_browser.get(f"{PLANS}?plan=growth&period=monthly")
    assert "R2 Seat" in page
    _, _, their_checkout = await their_browser.post(PLANS, {
        **form_of(page), f"qty.{theirs['id']}": "1", "op": "buy"})
    browser = await portal(ws, key, locale="en")
    _, page = await browser.get(f"{PLANS}?plan=growth&period=monthly")
    assert theirs["id"] not in page and "R2 Seat" not in page
    status, _, where = await browser.post(PLANS, {**form_of(page), f"qty.{theirs['id']}": "1",
                                                  "op": "buy"})
    assert status == 303 and where.startswith("/sandbox/checkout/")
    resp = await api.client.get(f"/v1/workspaces/{ws}/invoices", headers=api.auth(key))
    assert [i["amount"]["amount"] for i in (await resp.json())["invoices"]] == [299_000]
    status, page = await browser.get(f"/portal/return/{their_checkout.rsplit('/', 1)[1]}")
    assert status == 404 and "R2 Seat" not in page


async def test_an_immediate_upgrade_is_prorated_and_takes_the_account_credit(api, portal):
    """By the policy table an upgrade applies now, prorated; the workspace's account credit
    (an add-on stopped mid-period) pays part of it: the page shows what the preview says."""
    ws, key = await with_credit(api)                # Growth, Rp49.000 of account credit
    await set_policy(api, IMMEDIATE_UPGRADES)
    browser = await portal(ws, key, locale="en")
    status, page = await browser.get(f"{PLANS}?plan=pro&period=monthly")
    resp = await api.client.post(f"/v1/workspaces/{ws}/previews", headers={
        **api.auth(key), "Accept-Language": "en"}, json={
        "kind": "plan_change", "plan": "pro", "period": "monthly"})
    p = await resp.json()
    assert status == 200 and p["takes_effect"] == "when_paid"
    shown = summary_of(page)
    [line] = p["lines"]
    [credit] = p["credits_applied"]
    proration = line["proration"]
    for words in (f"{line['description']} {line['amount']['formatted']}",
                  f"Credit applied {credit['amount']['formatted']}",
                  f"Total {p['totals'][0]['formatted']}",
                  f"Takes effect: now, as soon as it is paid; prorated for "
                  f"{proration['numerator']} of {proration['denominator']} days"):
        assert words in shown, (words, shown)
    assert credit["amount"]["amount"] == -49_000


def heading(page: str) -> tuple[str, str]:
    """The page's <title> (before " · …") and its one h1, as a person reads them."""
    title = text(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
    [h1] = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return title.split(" · ")[0].strip(), text(h1).strip()


async def test_the_page_is_named_after_the_change_chosen(api, portal):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    browser = await portal(ws, key, locale="id")
    pages = {chosen: (await browser.get(f"{PLANS}{chosen}"))[1] for chosen in (
        "", "?plan=pro&period=monthly", "?plan=free&period=monthly",
        "?plan=growth&period=yearly")}
    assert heading(pages[""]) == ("Tingkatkan Langganan",) * 2
    assert heading(pages["?plan=pro&period=monthly"]) == ("Tingkatkan Langganan",) * 2
    assert heading(pages["?plan=free&period=monthly"]) == ("Turunkan Langganan",) * 2
    assert heading(pages["?plan=growth&period=yearly"]) == ("Ubah Periode Langganan",) * 2
    await browser.post("/portal/locale", {"lang": "en"})
    _, page = await browser.get(f"{PLANS}?plan=free&period=monthly")
    assert heading(page) == ("Downgrade Subscription",) * 2
