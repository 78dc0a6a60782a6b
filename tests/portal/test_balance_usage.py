"""The portal's Usage History (issue 12, screen 6): ledger entries with their activity, amount,
balance after and time; filters by balance, activity and dates; pages; the CSV download."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from tests.helpers import PHONE_A, PHONE_B, press_pay, status, status_payload, topup


def _rows(html: str) -> list[str]:
    """Each table row's text."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "<td" in row]


async def _csv(browser, query: str = "") -> tuple[dict, list[list[str]]]:
    async with browser.http.get(browser.url("/portal/balance/usage.csv" + query)) as resp:
        assert resp.status == 200, await resp.text()
        return dict(resp.headers), list(csv.reader(io.StringIO(await resp.text())))


async def _charged_workspace(api):
    """A reply, a broadcast into arrears, then a broadcast top-up that settles them."""
    ws, key = await api.create_workspace([PHONE_A])
    await api.webhook(status_payload(PHONE_A, [status("wamid.reply1", "delivered", "service")]))
    await api.webhook(status_payload(PHONE_A, [status("wamid.promo1", "delivered",
                                                      "marketing")]))
    bought = await topup(api, ws, key, "broadcast", 50_000)
    await press_pay(api, bought["payment"]["id"])
    return ws, key


async def test_entries_show_activity_amount_balance_after_and_filter(api, portal):
    ws, key = await _charged_workspace(api)
    other, other_key = await api.create_workspace([PHONE_B])
    browser = await portal(ws, key)
    status_, page = await browser.get("/portal/balance/usage")
    assert status_ == 200
    rows = _rows(page)
    assert len(rows) == 5, rows          # newest first
    assert rows[0].startswith("21 Nov 2026 10:00")       # Jakarta time
    # the top-up pays the arrears first: the settlement shows what it settled
    assert "Pelunasan tunggakan Saldo Broadcast Rp650 Rp49.350" in rows[0]
    assert "Top up Saldo Broadcast Rp50.000 Rp49.350" in rows[1]
    assert "Broadcast (menjadi tunggakan) Saldo Broadcast -Rp650 -Rp650" in rows[2]
    assert "Balasan Saldo Percakapan -Rp30 Rp14.970" in rows[3]
    assert "Saldo dari paket Saldo Percakapan Rp15.000 Rp15.000" in rows[4]
    replies = _rows((await browser.get("/portal/balance/usage?activity=reply"))[1])
    assert len(replies) == 1 and "Balasan" in replies[0]
    broadcast = _rows((await browser.get("/portal/balance/usage?balance=broadcast"))[1])
    assert len(broadcast) == 3
    status_, page = await browser.get("/portal/balance/usage?balance=broadcast&activity=reply")
    assert status_ == 200 and _rows(page) == [] and "Tidak ada pemakaian yang cocok" in page
    assert 'value="reply" selected' in page            # the filters stay as chosen
    other_browser = await portal(other, other_key)
    assert len(_rows((await other_browser.get("/portal/balance/usage"))[1])) == 1   # its grant


async def test_dates_filter_whole_days_in_jakarta(api, portal, clock):
    ws, key = await api.create_workspace([PHONE_A])        # grant: 21 Nov 10:00 WIB
    clock.advance(timedelta(days=2))                        # 23 Nov
    await api.webhook(status_payload(PHONE_A, [status("wamid.r1", "delivered", "service")]))
    browser = await portal(ws, key, locale="en")
    rows = _rows((await browser.get("/portal/balance/usage?from=2026-11-22&to=2026-11-23"))[1])
    assert len(rows) == 1 and "Reply" in rows[0]
    rows = _rows((await browser.get("/portal/balance/usage?to=2026-11-21"))[1])
    assert len(rows) == 1 and "Plan grant" in rows[0]
    assert _rows((await browser.get("/portal/balance/usage?from=2026-11-24"))[1]) == []


async def test_bad_filters_are_shown_at_their_fields(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    status_, page = await browser.get(
        "/portal/balance/usage?balance=gold&activity=x&from=2026-13-01&to=2026-11-01")
    assert status_ == 422 and "Traceback" not in page
    for field, message in (("balance", "Choose a balance from the list."),
                           ("activity", "Choose an activity from the list."),
                           ("from", "Enter a date as YYYY-MM-DD.")):
        assert f'id="usage-{field}-error">{message}' in page
    status_, page = await browser.get("/portal/balance/usage?from=2026-11-21&to=2026-11-20")
    assert status_ == 422 and 'id="usage-to-error">The end date is before the start date.' in page
    status_, page = await browser.get("/portal/balance/usage?cursor=not-a-cursor")
    assert status_ == 422 and "This page link is not valid" in page
    status_, page = await browser.get("/portal/balance/usage.csv?balance=gold")
    assert status_ == 422 and "Choose a balance from the list." in page


async def test_pages_follow_the_usage_cursor(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    replies = [status(f"wamid.p{i}", "delivered", "service") for i in range(26)]
    await api.webhook(status_payload(PHONE_A, replies))          # + the grant: 27 entries
    browser = await portal(ws, key)
    page = (await browser.get("/portal/balance/usage?activity="))[1]
    assert len(_rows(page)) == 25 and "Terbaru" not in page
    older = re.search(r'href="(/portal/balance/usage\?[^"]*cursor=[^"]+)"', page).group(1)
    page = (await browser.get(older.replace("&amp;", "&")))[1]
    rows = _rows(page)
    assert len(rows) == 2 and "Saldo dari paket" in rows[-1] and "Lebih lama" not in page
    assert "Terbaru" in page


async def test_the_csv_has_a_header_and_every_entry_of_the_filters(api, portal):
    ws, key = await _charged_workspace(api)
    browser = await portal(ws, key)
    headers, rows = await _csv(browser)
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="saldo-usage-2026-11-21.csv"'
    assert rows[0] == ["Waktu", "Saldo", "Aktivitas", "Jumlah", "Saldo setelahnya",
                       "Tunggakan setelahnya", "Mata uang", "Entri", "Pesan WhatsApp",
                       "Kategori"]
    assert len(rows) == 6
    reply = next(r for r in rows if r[2] == "Balasan")
    assert reply[0] == "2026-11-21T10:00:00+07:00"
    assert reply[1] == "Saldo Percakapan" and reply[3:7] == ["-30", "14970", "0", "IDR"]
    assert reply[8] == "wamid.reply1" and reply[9] == "service"
    settled = rows[1]
    assert settled[2] == "Pelunasan tunggakan" and settled[3:6] == ["650", "49350", "0"]
    _, rows = await _csv(browser, "?activity=topup")
    assert [r[2] for r in rows[1:]] == ["Top up"] and rows[1][3] == "50000"
    english = await portal(ws, key, locale="en")
    _, rows = await _csv(english, "?balance=conversation")
    assert rows[0][:3] == ["Time", "Balance", "Activity"]
    assert [r[2] for r in rows[1:]] == ["Reply", "Plan grant"]


async def test_the_page_links_to_the_csv_with_its_filters(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    page = (await browser.get("/portal/balance/usage?balance=conversation&activity=grant"))[1]
    assert 'href="/portal/balance/usage.csv?balance=conversation&amp;activity=grant"' in page


async def test_the_download_reads_every_page_of_the_usage_query(api):
    from service.wallet.reports import activity_filter, every_usage_page
    from tests.helpers import app_services
    ws, _ = await api.create_workspace([PHONE_A])
    replies = [status(f"wamid.d{i}", "delivered", "service") for i in range(5)]
    await api.webhook(status_payload(PHONE_A, replies))
    assert activity_filter("reply", "broadcast") is None
    balance, kinds = activity_filter("reply", None)
    pages = [[line.entry.meta["wamid"] for line in lines] async for lines in every_usage_page(
        app_services(api), ws, balance=balance, kinds=kinds, since=None, until=None,
        page_size=2)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == [f"wamid.d{i}" for i in range(5)]
