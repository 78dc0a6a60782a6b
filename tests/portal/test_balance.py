"""The portal's WhatsApp Balance screen (issue 12, screen 6): balances as the wallet API gives
them, arrears, the rates; Top up (limits, presets, field errors, placed once); the Top-up
History and a top-up's page (another workspace's: not found)."""
from __future__ import annotations

import re

from tests.helpers import PHONE_A, PHONE_B, press_pay, status, status_payload, topup

REPLY = status("wamid.reply1", "delivered", "service")
BROADCAST = status("wamid.promo1", "delivered", "marketing")


async def _topups(api, ws: str, key: str) -> list[dict]:
    resp = await api.client.get(f"/v1/workspaces/{ws}/topups", headers=api.auth(key))
    return (await resp.json())["topups"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_balances_equal_the_wallet_apis_with_rates_and_arrears(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    await api.webhook(status_payload(PHONE_A, [REPLY, BROADCAST]))   # broadcast: 0 → arrears
    wallet = await api.wallet(ws, key)
    browser = await portal(ws, key)
    status_, page = await browser.get("/portal/balance")
    assert status_ == 200
    text = _text(page)
    conversation, broadcast = wallet["conversation"], wallet["broadcast"]
    assert conversation["total"]["formatted"] == "Rp14.970"
    assert broadcast["arrears"]["formatted"] == "Rp650"
    conv = text[text.index("Saldo Percakapan"):text.index("Saldo Broadcast")]
    bcast = text[text.index("Saldo Broadcast"):]
    assert conversation["total"]["formatted"] in conv
    assert conversation["granted"]["formatted"] in conv
    assert "Rp30 per balasan · sekitar 499 balasan" in conv
    assert "Rp650 per pesan broadcast · sekitar 0 pesan broadcast" in bcast
    assert "Tunggakan Rp650" in bcast and 'class="notice bad"' in page
    assert "Tunggakan Rp650" not in conv
    assert "Belum ada top up." in text


async def test_top_up_form_shows_the_limits_and_presets_within_them(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    page = _text((await browser.get("/portal/balance/topup?balance=broadcast"))[1])
    assert "Minimal Rp10.000, maksimal Rp5.000.000." in page
    assert "Rp10.000 sampai Rp1.000.000" in page          # the conversation option
    assert "Rp50.000" in page and "Rp250.000" in page
    status_, page = await browser.get("/portal/balance/topup?amount=50000")
    assert 'value="50000"' in page and "Rp1.000.000." in _text(page)


async def test_a_top_up_is_ordered_once_and_the_balance_rises_when_paid(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    form = {"balance": "conversation", "amount": "Rp 50.000", "idem": "form-1"}
    status_, _, where = await browser.post("/portal/balance/topup", form)
    assert status_ == 303 and where.startswith("/sandbox/checkout/")
    again = await browser.post("/portal/balance/topup", form)       # a double submit
    assert again[0] == 303 and again[2] == where
    orders = await _topups(api, ws, key)
    assert len(orders) == 1 and orders[0]["amount"]["amount"] == 50_000
    page = _text((await browser.get("/portal/balance"))[1])
    assert "Menunggu pembayaran" in page and orders[0]["invoice_code"] in page
    await press_pay(api, where.rsplit("/", 1)[1])
    page = _text((await browser.get("/portal/balance"))[1])
    assert "Lunas" in page and "Dibeli Rp50.000" in page and "Rp65.000" in page
    history = _text((await browser.get("/portal/balance/topups"))[1])
    assert "Riwayat Top Up" in history and "Lunas" in history and "Rp50.000" in history


async def test_a_wrong_amount_is_shown_at_the_field_and_nothing_is_ordered(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    for amount, message in (("5000", "The smallest top-up of this balance is IDR 10,000."),
                            ("2000000", "The largest top-up of this balance is IDR 1,000,000."),
                            ("50.5", "Enter the amount in whole rupiah, for example 50000."),
                            ("", "Enter the amount in whole rupiah")):
        status_, page, _ = await browser.post("/portal/balance/topup", {
            "balance": "conversation", "amount": amount, "idem": f"t-{amount}"})
        assert status_ == 422, amount
        assert 'id="topup-amount-error"' in page and message in page, amount
        assert 'aria-invalid="true"' in page and "Traceback" not in page
    status_, page, _ = await browser.post("/portal/balance/topup", {
        "balance": "gold", "amount": "50000", "idem": "t-gold"})
    assert status_ == 422 and "Check this value." in page
    assert await _topups(api, ws, key) == []


async def test_ordering_needs_the_csrf_token(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    status_, page, _ = await browser.post("/portal/balance/topup", {
        "balance": "conversation", "amount": "50000", "idem": "x"}, csrf=False)
    assert status_ == 403 and "kedaluwarsa" in page
    assert await _topups(api, ws, key) == []


async def test_a_top_ups_page_is_the_workspaces_own(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    other, other_key = await api.create_workspace([PHONE_B])
    mine = (await topup(api, ws, key, "broadcast", 100_000))
    theirs = await topup(api, other, other_key)
    browser = await portal(ws, key, locale="en")
    status_, page = await browser.get(f"/portal/balance/topups/{theirs['topup']['id']}")
    assert status_ == 404 and "Not found." in page
    assert theirs["invoice"]["code"] not in page and "Waiting for payment" not in page
    status_, page = await browser.get(f"/portal/balance/topups/{mine['topup']['id']}")
    text = _text(page)
    assert status_ == 200 and mine["invoice"]["code"] in text
    assert "Broadcast balance" in text and "Waiting for payment" in text
    assert f'href="{mine["payment"]["checkout_url"]}"' in page      # Continue to Payment
    await press_pay(api, mine["payment"]["id"])
    text = _text((await browser.get(f"/portal/balance/topups/{mine['topup']['id']}"))[1])
    assert "Paid" in text and "Continue to Payment" not in text


async def test_the_balance_page_in_english(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    page = _text((await browser.get("/portal/balance"))[1])
    assert "Conversation balance" in page and "IDR 15,000" in page
    assert "IDR 30 per reply · about 500 replies" in page and "No top-ups yet." in page


async def test_a_store_outage_is_a_503_page_not_a_500(api, portal, monkeypatch):
    """Regression: the page decorator's `except (StoreUnavailable, *STORE_DOWN)` unpacked a
    class, so any error reaching it (a store outage too) became a TypeError and a JSON 500."""
    from pymongo.errors import AutoReconnect
    from tests.helpers import app_services
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)

    async def unreachable(*args, **kwargs):
        raise AutoReconnect("connection refused")
    monkeypatch.setattr(app_services(api).ledger, "balances", unreachable)
    status_, page = await browser.get("/portal/balance")
    assert status_ == 503 and "tidak dapat menghubungi basis datanya" in page


async def test_a_top_up_account_credit_covers_is_paid_at_once_without_a_payment_page(api, portal):
    from tests.credit.test_account_credit import with_credit
    ws, key = await with_credit(api)                                  # Rp49.000 of credit
    browser = await portal(ws, key)
    status_, _, where = await browser.post("/portal/balance/topup", {
        "balance": "conversation", "amount": "10000", "idem": "credit-1"})
    [bought] = await _topups(api, ws, key)
    assert status_ == 303 and where == f"/portal/balance/topups/{bought['id']}"
    text = _text((await browser.get(where))[1])
    assert "Lunas" in text and "Lanjutkan ke Pembayaran" not in text
    assert "Dibeli Rp10.000" in _text((await browser.get("/portal/balance"))[1])


async def test_no_payment_provider_is_said_on_the_form(api, portal, monkeypatch):
    from dataclasses import replace
    from tests.helpers import app_services
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    svc = app_services(api)
    monkeypatch.setattr(svc, "settings", replace(svc.settings, payment_provider="none"))
    status_, page, _ = await browser.post("/portal/balance/topup", {
        "balance": "conversation", "amount": "50000", "idem": "none-1"})
    assert status_ == 422 and "Payments are not available right now" in page
    assert 'value="50000"' in page and await _topups(api, ws, key) == []


async def test_a_preset_or_another_balance_asks_htmx_for_the_form_alone(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    status_, page = await browser.get("/portal/balance/topup?balance=broadcast&amount=100000",
                                      headers={"HX-Request": "true"})
    assert status_ == 200 and page.lstrip().startswith('<form id="topup-form"')
    assert "<html" not in page and 'value="100000"' in page
    assert 'value="broadcast" checked' in page and "maximum IDR 5,000,000." in page


async def test_the_amounts_label_names_the_currency_as_its_amounts_are_written(api, portal):
    """Indonesian writes Rp50.000, English IDR 50,000: the amount's label agrees in each."""
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key, locale="en")
    page = (await browser.get("/portal/balance/topup"))[1]
    label = re.search(r'<label for="topup-amount">([^<]*)</label>', page).group(1)
    assert label == "Amount (IDR)" and "IDR 50,000" in _text(page)
    await browser.post("/portal/locale", {"lang": "id"})
    page = (await browser.get("/portal/balance/topup"))[1]
    label = re.search(r'<label for="topup-amount">([^<]*)</label>', page).group(1)
    assert label == "Jumlah (Rp)" and "Rp50.000" in _text(page)
