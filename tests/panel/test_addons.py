"""Partners → Add-ons (issue 13) page by page, per role: the admin lists, searches, filters,
creates (every API refusal next to its field, nothing saved), edits, enables/disables and deletes
add-ons (refused while a subscription holds it); resellers see only what is visible to them,
read-only, and no editor; no session → sign-in."""
from __future__ import annotations

import html
import re

from tests.addon_helpers import (ADMIN, EXTRA_USER, WA_CONV, addon_body, buy_and_pay,
                                 create_addon, create_reseller)
from tests.helpers import ADMIN_TOKEN, PHONE_A

HELP_PAGE = {"name": "wa-conv-1000", "display_name": "Extra 1.000 WhatsApp conversations",
             "applicable_plans": ["growth", "pro"], "type": "conversation_credit",
             "consumption": "30000", "periods": ["monthly", "yearly"], "currency": "IDR",
             "price_monthly": "30.000", "price_yearly": "300000", "billing": "one_time",
             "pricing_scheme": "unit", "visibility": "all", "direct": "on", "active": "on"}


def form(**changes) -> list[tuple[str, str]]:
    """The Create Add-on form as a browser posts it (repeated names for checkboxes)."""
    fields = {**HELP_PAGE, **changes}
    return [(k, v) for k, value in fields.items() if value is not None
            for v in (value if isinstance(value, list) else [value])]


async def send(browser, path: str, pairs: list[tuple[str, str]], *, csrf: bool = True):
    """POST a form with repeated names → (status, body, Location)."""
    data = [("csrf_token", browser.csrf)] * csrf + pairs
    async with browser.http.post(browser.url(path), data=data, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location")


async def addons(api) -> list[dict]:
    resp = await api.client.get("/v1/admin/addons", headers=ADMIN)
    return (await resp.json())["addons"]


def error_at(page: str, field: str) -> str:
    found = re.search(rf'id="err-{re.escape(field)}" role="alert">([^<]*)<', page)
    return found.group(1) if found else ""


async def test_the_admin_creates_the_help_pages_addon(api, panel):
    browser = await panel(ADMIN_TOKEN)
    status, page = await browser.get("/panel/addons/new")
    assert status == 200 and "Detail Dasar" in page and 'value="USD" selected' in page
    status, _, where = await send(browser, "/panel/addons/new", form())
    assert status == 303 and where.startswith("/panel/addons?")
    [saved] = await addons(api)
    assert saved["applicable_plans"] == ["growth", "pro"] and saved["status"] == "active"
    assert saved["periods"] == {"monthly": {"currency": "IDR", "amount": 30_000},
                                "yearly": {"currency": "IDR", "amount": 300_000}}
    assert saved["type"] == "conversation_credit" and saved["consumption"] == 30_000
    status, page = await browser.get(where)
    assert "Extra 1.000 WhatsApp conversations" in page and "Rp30.000" in page
    assert "Aktif" in page and "Semua reseller" in page


async def test_field_errors_and_nothing_saved(api, panel):
    browser = await panel(ADMIN_TOKEN)
    status, page, _ = await send(browser, "/panel/addons/new", form(applicable_plans=None))
    assert status == 422 and error_at(page, "applicable_plans") == "Pilih setidaknya satu paket."
    status, page, _ = await send(browser, "/panel/addons/new", form(price_yearly=""))
    assert status == 422 and error_at(page, "price_yearly") == "Isi harga untuk periode ini."
    assert 'value="Extra 1.000 WhatsApp conversations"' in page       # what was typed stays
    status, page, _ = await send(browser, "/panel/addons/new", form(name="Bad Name",
                                                                   price_monthly="abc"))
    assert status == 422 and error_at(page, "price_monthly") and not error_at(page, "name")
    status, page, _ = await send(browser, "/panel/addons/new", form(name="Bad Name"))
    assert status == 422 and error_at(page, "name").startswith("Isi nama internal: huruf kecil")
    status, page, _ = await send(browser, "/panel/addons/new", form(limits="users plus"))
    assert status == 422 and error_at(page, "limits") and "<details class=\"card ad-more\" open" \
        in page
    assert await addons(api) == []
    await create_addon(api, addon_body("wa-conv-1000"))
    status, page, _ = await send(browser, "/panel/addons/new", form())
    assert status == 422 and error_at(page, "name") == "Add-on lain sudah memakai nama ini."
    status, _, _ = await send(browser, "/panel/addons/new", form(), csrf=False)
    assert status == 403 and len(await addons(api)) == 1


async def test_list_search_filter_toggle_and_pages(api, panel):
    one = await create_addon(api, addon_body("wa-conv-1000", display_name="Extra conversations",
                                             billing="one_time"))
    await create_addon(api, addon_body("additional-user", display_name="Additional User"))
    browser = await panel(ADMIN_TOKEN)
    _, page = await browser.get("/panel/addons?q=CONVERS")
    assert "Extra conversations" in page and "Additional User" not in page
    _, page = await browser.get("/panel/addons?q=additional")
    assert "Additional User" in page and "Extra conversations" not in page
    _, page = await browser.get("/panel/addons?filter_by=recurring")
    assert "Additional User" in page and "Extra conversations" not in page
    status, _, where = await browser.post(f"/panel/addons/{one['id']}/status",
                                          {"status": "inactive", "back": "q=conv"})
    assert status == 303 and where == "/panel/addons?q=conv"
    _, page = await browser.get("/panel/addons?filter_by=inactive")
    assert "Extra conversations" in page and "Additional User" not in page
    assert "Aktifkan" in page
    await browser.post(f"/panel/addons/{one['id']}/status", {"status": "active"})
    assert {a["status"] for a in await addons(api)} == {"active"}
    for i in range(20):
        await create_addon(api, addon_body(f"extra-{i:02d}"))
    _, first = await browser.get("/panel/addons")
    older = re.search(r'href="/panel/addons\?filter_by=all&amp;cursor=([^"]+)"', first)
    assert older and "Halaman berikutnya" in first
    _, second = await browser.get(f"/panel/addons?filter_by=all&cursor={older.group(1)}")
    shown = [re.findall(r"<strong>([^<]+)</strong>", p) for p in (first, second)]
    assert [len(names) for names in shown] == [20, 2] and "Halaman pertama" in second
    assert len(set(shown[0] + shown[1])) == 22
    assert (await browser.get("/panel/addons?cursor=garbage"))[0] == 400


async def test_edit_visibility_and_what_each_reseller_sees(api, panel):
    r1, key1 = await create_reseller(api, "Mitra Satu")
    _r2, key2 = await create_reseller(api, "Mitra Dua")
    hidden = await create_addon(api, addon_body("wa-conv-1000", display_name="Extra chats"))
    admin = await panel(ADMIN_TOKEN)
    _, page = await admin.get(f"/panel/addons/{hidden['id']}/edit")
    assert 'value="wa-conv-1000"' in page and "Mitra Dua" in page
    values = form(name="wa-conv-1000", display_name="Extra chats", visibility="chosen",
                  resellers=[r1], applicable_plans=["all"], currency="IDR",
                  price_yearly=None, periods=["monthly"], price_monthly="10000")
    status, _, _ = await send(admin, f"/panel/addons/{hidden['id']}/edit", values)
    assert status == 303
    [saved] = await addons(api)
    assert saved["visibility"] == {"resellers": [r1], "direct": True}
    _, page = await admin.get("/panel/addons")
    assert "Mitra Satu" in page
    one, two = await panel(key1), await panel(key2)
    _, page = await one.get("/panel/addons")
    assert "Extra chats" in page and "/edit" not in page and "Nonaktifkan" not in page
    _, page = await two.get("/panel/addons")
    assert "Extra chats" not in page and "Belum ada add-on" in page
    for path in ("/panel/addons/new", f"/panel/addons/{hidden['id']}/edit"):
        assert (await two.get(path))[0] == 404
        assert (await one.get(path))[0] == 404
    status, _, _ = await two.post(f"/panel/addons/{hidden['id']}/status", {"status": "inactive"})
    status2, _, _ = await two.post(f"/panel/addons/{hidden['id']}/delete")
    assert (status, status2) == (404, 404) and len(await addons(api)) == 1
    async with api.client.get("/panel/addons", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/panel/signin"


async def test_delete_is_refused_while_a_subscription_holds_it(api, panel):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"])
    spare = await create_addon(api, addon_body("spare"))
    browser = await panel(ADMIN_TOKEN)
    await browser.post("/panel/locale", {"lang": "en", "next": "/panel"})
    status, page, _ = await browser.post(f"/panel/addons/{user['id']}/delete")
    assert status == 409 and "1 subscriptions hold it" in page and "Disable it instead" in page
    assert len(await addons(api)) == 2
    status, _, where = await browser.post(f"/panel/addons/{spare['id']}/delete")
    assert status == 303 and [a["id"] for a in await addons(api)] == [user["id"]]
    assert "The add-on was deleted." in (await browser.get(where))[1]
    assert (await browser.get("/panel/addons/ad_missing/edit"))[0] == 404


def test_prices_as_people_type_them():
    from handlers.panel.addon_form import parse_price
    assert [parse_price(raw, "IDR") for raw in ("30000", "30.000", "Rp 30.000", "1,000,000")] \
        == [30_000, 30_000, 30_000, 1_000_000]
    assert [parse_price(raw, "USD") for raw in ("12.50", "12,50", "12", "1,299.00", "1.299,00")] \
        == [1250, 1250, 1200, 129_900, 129_900]
    assert [parse_price(raw, c) for raw, c in (("abc", "IDR"), ("12.5.0", "USD"), ("-5", "IDR"),
                                               ("", "USD"), ("12,50", "IDR"))] == [None] * 5


async def test_every_option_round_trips_through_the_edit_form(api, panel):
    rid, _key = await create_reseller(api, "Mitra Satu")
    base = await create_addon(api, addon_body("base"))
    browser = await panel(ADMIN_TOKEN)
    status, _, _ = await send(browser, "/panel/addons/new", form(
        name="tiered-seats", display_name="Tiered seats", type="users", consumption="1",
        billing="recurring", pricing_scheme="tier", periods=["quarterly"], currency="USD",
        brackets_quarterly="1-10: 5.00\n11-: 4.50", allow_multiple="on", max_quantity="25",
        limits="users increment 1\ncontacts set unlimited", entitlements="api_access, webhooks",
        requires=[base["id"]], metadata="sku=SEAT-1\nrank=3\npromo=false", tax_exempt="on",
        visibility="chosen", resellers=[rid], direct=None, active=None,
        applicable_plans=["pro"], price_monthly=None, price_yearly=None))
    assert status == 303
    saved = next(a for a in await addons(api) if a["name"] == "tiered-seats")
    assert saved["periods"] == {"quarterly": {"currency": "USD", "brackets": [
        {"from": 1, "to": 10, "amount": 500}, {"from": 11, "to": None, "amount": 450}]}}
    assert saved["limits"] == [{"key": "users", "value": 1, "action": "increment"},
                               {"key": "contacts", "value": -1, "action": "set"}]
    assert (saved["allow_multiple"], saved["max_quantity"], saved["status"]) == (True, 25,
                                                                                 "inactive")
    assert saved["metadata"] == {"sku": "SEAT-1", "rank": 3, "promo": False}
    assert saved["visibility"] == {"resellers": [rid], "direct": False}
    assert saved["requires"] == [base["id"]] and saved["tax_exempt"] is True
    assert saved["entitlements"] == ["api_access", "webhooks"]
    status, page = await browser.get("/panel/addons?q=tiered")      # bracket prices: "from"
    assert status == 200 and "Tiered seats" in page and "mulai US$5" in page
    _, page = await browser.get(f"/panel/addons/{saved['id']}/edit")
    posted = _inputs_of(page)
    status, _, _ = await send(browser, f"/panel/addons/{saved['id']}/edit", posted)
    assert status == 303
    again = next(a for a in await addons(api) if a["name"] == "tiered-seats")
    assert {k: v for k, v in again.items() if k != "updated_at"} == \
        {k: v for k, v in saved.items() if k != "updated_at"}


def _inputs_of(page: str) -> list[tuple[str, str]]:
    """What a browser would post from the edit form as shown (inputs, checked boxes, selected
    options, textareas)."""
    form = page[page.index('<form class="ad-form"'):page.index("</form>", page.index(
        '<form class="ad-form"'))]
    pairs = []
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if kind and kind.group(1) in ("checkbox", "radio"):
            if " checked" in tag:
                pairs.append((name.group(1), value.group(1) if value else "on"))
        else:
            pairs.append((name.group(1), value.group(1) if value else ""))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        pairs.append((name, chosen.group(1) if chosen else ""))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form,
                                 re.S):
        pairs.append((name, html.unescape(text)))
    return [(k, html.unescape(v)) for k, v in pairs]


async def test_absurd_input_is_a_field_error_not_a_crash(api, panel):
    browser = await panel(ADMIN_TOKEN)
    huge = "9" * 5000
    for changes, field in (({"limits": f"users set {huge}"}, "limits"),
                           ({"pricing_scheme": "volume", "brackets_monthly": f"1-{huge}: 5"},
                            "price_monthly"),
                           ({"consumption": huge}, "consumption"),
                           ({"price_monthly": huge}, "price_monthly"),
                           ({"metadata": "bad key=1"}, "metadata"),
                           ({"visibility": "some"}, "visibility"),
                           ({"type": "cars"}, "type")):
        status, page, _ = await send(browser, "/panel/addons/new", form(**changes))
        assert status == 422 and error_at(page, field), (changes.keys(), page[-3000:])
    assert await addons(api) == []


def prices_of(page: str, display_name: str) -> list[str]:
    """The price texts of one row of the add-on list, as a person reads them."""
    row = next(r for r in page.split("<tr>") if f"<strong>{html.escape(display_name)}</strong>" in r)
    return [html.unescape(p) for p in re.findall(r'<span class="ad-price">([^<]*)</span>', row)]


async def test_the_list_shows_a_one_time_addons_price_as_one_time(api, panel):
    await create_addon(api, WA_CONV)                                    # one-time, one price
    await create_addon(api, addon_body(                                 # one-time, per plan period
        "pack", display_name="Pack", billing="one_time",
        periods={"monthly": {"currency": "IDR", "amount": 30_000},
                 "yearly": {"currency": "IDR", "amount": 300_000}}))
    await create_addon(api, EXTRA_USER)                                 # recurring
    browser = await panel(ADMIN_TOKEN)
    page = (await browser.get("/panel/addons"))[1]
    assert prices_of(page, WA_CONV["display_name"]) == ["Sekali beli: Rp30.000"]
    assert prices_of(page, "Pack") == ["Sekali beli, paket bulanan: Rp30.000",
                                       "Sekali beli, paket tahunan: Rp300.000"]
    assert prices_of(page, "Additional User") == ["Bulanan: Rp49.000", "Tahunan: Rp490.000"]
    await browser.post("/panel/locale", {"lang": "en", "next": "/panel"})
    page = (await browser.get("/panel/addons"))[1]
    assert prices_of(page, WA_CONV["display_name"]) == ["One-time: IDR 30,000"]
    assert prices_of(page, "Pack") == ["One-time, monthly plan: IDR 30,000",
                                       "One-time, yearly plan: IDR 300,000"]
    assert prices_of(page, "Additional User") == ["Monthly: IDR 49,000", "Yearly: IDR 490,000"]
