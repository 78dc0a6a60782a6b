"""Billing Information (issue 12 screen 9): the form, its field errors (nothing saved), and the
way back to the order that needed it (`?next=`, only a portal path)."""
from __future__ import annotations

from tests.helpers import BILLING_INFO, PHONE_A


async def _info(api, ws, key) -> dict:
    resp = await api.client.get(f"/v1/workspaces/{ws}/billing-info", headers=api.auth(key))
    return await resp.json()


async def test_the_form_shows_what_is_filled_and_saves_it(api, portal):
    ws, key = await api.create_workspace([PHONE_A])
    browser = await portal(ws, key)
    status, page = await browser.get("/portal/billing-info")
    assert status == 200 and "PT Toko Budi Sejahtera" in page and "012345678901000" in page
    assert "Nama resmi" in page and "Informasi Penagihan" in page
    status, _, where = await browser.post("/portal/billing-info", {
        **BILLING_INFO, "legal_name": "PT Budi Makmur"})
    assert status == 303 and where == "/portal/billing-info?saved=1"
    assert (await _info(api, ws, key))["legal_name"] == "PT Budi Makmur"
    assert "sudah disimpan" in (await browser.get(where))[1]
    # a browser sends a textarea's line breaks as CRLF: saved as lines, not refused
    status, _, _ = await browser.post("/portal/billing-info", {
        **BILLING_INFO, "address": "Jl. Sudirman 1\r\nJakarta 10220"})
    assert status == 303
    assert (await _info(api, ws, key))["address"] == "Jl. Sudirman 1\nJakarta 10220"


async def test_a_wrong_field_is_shown_at_the_field_and_nothing_is_saved(api, portal):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    browser = await portal(ws, key, locale="en")
    await browser.get("/portal/billing-info")
    status, page, _ = await browser.post("/portal/billing-info", {
        **BILLING_INFO, "npwp": "12345"})
    assert status == 422
    assert 'id="bi-npwp" name="npwp" type="text" value="12345" autocomplete="off" ' \
           'aria-invalid="true"' in page
    assert "The NPWP has 15 or 16 digits" in page
    assert 'value="PT Toko Budi Sejahtera"' in page          # what was typed stays
    assert (await _info(api, ws, key))["complete"] is False   # nothing saved
    status, page, _ = await browser.post("/portal/billing-info", {
        **BILLING_INFO, "billing_email": "not an address"})
    assert status == 422 and "Enter an e-mail address" in page
    status, page, _ = await browser.post("/portal/billing-info", BILLING_INFO, csrf=False)
    assert status == 403 and (await _info(api, ws, key))["complete"] is False


async def test_after_saving_it_goes_back_to_the_order_but_only_inside_the_portal(api, portal):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    browser = await portal(ws, key, locale="en")
    back = "/portal/plans?plan=growth&period=yearly"
    status, page = await browser.get("/portal/billing-info?next=%2Fportal%2Fplans%3Fplan%3D"
                                     "growth%26period%3Dyearly")
    assert status == 200 and "to continue with your order" in page
    assert 'name="next" value="/portal/plans?plan=growth&amp;period=yearly"' in page
    # the order needs every field: an empty one is named, nothing saved
    status, page, _ = await browser.post("/portal/billing-info", {
        **BILLING_INFO, "address": "", "next": back})
    assert status == 422 and "Fill in this field." in page
    assert (await _info(api, ws, key))["legal_name"] == ""
    status, _, where = await browser.post("/portal/billing-info", {**BILLING_INFO, "next": back})
    assert status == 303 and where == back
    assert (await _info(api, ws, key))["complete"] is True
    for elsewhere in ("https://evil.example/portal", "//evil.example/portal", "/portalx",
                      "/v1/workspaces", "/\\evil.example", "javascript:alert(1)"):
        status, page = await browser.get("/portal/billing-info", params={"next": elsewhere})
        assert status == 200 and "to continue with your order" not in page
        status, _, where = await browser.post("/portal/billing-info",
                                              {**BILLING_INFO, "next": elsewhere})
        assert status == 303 and where == "/portal/billing-info?saved=1"
