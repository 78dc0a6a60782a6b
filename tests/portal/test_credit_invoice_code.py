"""Account credit used on an invoice names that invoice by its number, as the customer knows
it (the portal's Credit history, and `GET …/credit`'s `invoice_code`), like the credit given
back does; the entry keeps the invoice id its ledger key and reconcile rely on."""
from __future__ import annotations

from tests.credit.test_account_credit import credit_of, with_credit
from tests.helpers import assert_reconciled, topup
from tests.portal.test_invoices import _text


async def test_the_credit_history_names_the_invoice_the_credit_was_used_on(api, portal):
    ws, key = await with_credit(api)
    invoice = (await topup(api, ws, key, amount=50_000))["invoice"]     # uses the Rp49.000
    page = _text((await (await portal(ws, key)).get("/portal/credit"))[1])
    assert f"Digunakan pada faktur Faktur {invoice['code']} -Rp49.000" in page
    applied = next(e for e in (await credit_of(api, ws, key))["entries"]
                   if e["kind"] == "applied")
    assert applied["invoice_code"] == invoice["code"]
    assert applied["invoice_id"].startswith("inv_")        # the ledger key's (reconcile's)
    await assert_reconciled(api)
