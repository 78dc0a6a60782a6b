"""The sandbox checkout page tells the customer what happened (issue 9 item 18)."""
from datetime import timedelta

from tests.helpers import PHONE_A, topup

EN = {"Accept-Language": "en"}


async def test_pay_on_a_payment_replaced_after_its_failure_says_why_not_that_it_expired(api):
    ws, key = await api.create_workspace([PHONE_A])
    placed = await topup(api, ws, key)
    payment = placed["payment"]
    failed = await api.client.post(f"/sandbox/checkout/{payment['id']}/fail", headers=EN)
    assert "Payment failed." in await failed.text()
    code = placed["invoice"]["code"].replace("/", "%2F")
    assert (await api.client.post(f"/v1/workspaces/{ws}/invoices/{code}/pay",
                                  headers=api.auth(key))).status == 200      # a new link
    again = await api.client.post(f"/sandbox/checkout/{payment['id']}/pay", headers=EN)
    html = await again.text()
    assert again.status == 200
    assert "expired" not in html.split('class="result"')[1]
    assert "newer payment link" in html.split('class="result"')[1]
    assert (await api.amounts(ws, key))["conversation"] == (15_000, 0, 0)


async def test_pay_after_the_invoice_expired_still_says_it_expired(api):
    ws, key = await api.create_workspace([PHONE_A])
    payment = (await topup(api, ws, key))["payment"]
    api.clock.advance(timedelta(hours=25))
    html = await (await api.client.post(f"/sandbox/checkout/{payment['id']}/pay",
                                        headers=EN)).text()
    assert "after the invoice expired" in html
