"""Partners → Add-ons (issue 13) page by page, per role: the admin lists, searches, filters,
creates (every API refusal next to its field, nothing saved), edits, enables/disables and deletes
add-ons (refused while a subscription holds it); resellers see only what is visible to them,
read-only, and no editor; no session → sign-in."""
from __future__ import annotations

import re

from tests.addon_helpers import (ADMIN, EXTRA_USER, addon_body, buy_and_pay, create_addon,
                                 create_reseller)
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
    assert status == 422 and error_at(page, "name").startswith("Periksa nilai ini")
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
