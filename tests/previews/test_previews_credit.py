"""Previews with account credit (issue 11 items 1, 3, 4): a preview shows the credit the order's
invoice will take of its amount due with tax, and the order's invoice is exactly that: the same
"Credit applied" amount, tax and total; a wallet top-up still gets what was bought."""
from tests.credit.test_account_credit import credit_of, with_credit
from tests.invoices.test_invoice_tax import money, put_tax, rate, schedule
from tests.previews.preview_helpers import order, preview, same


async def test_a_topup_preview_takes_the_credit_of_its_total_with_ppn(api):
    ws, key = await with_credit(api)                         # Rp49.000 owed back
    await put_tax(api, schedule({"topup": rate(11)}))
    p = await preview(api, ws, key, "topup", balance="conversation", amount=50_000)
    # Rp50.000 + PPN 11% Rp5.500 = Rp55.500 due; the credit pays Rp49.000 of it (the tax too)
    assert [c["amount"]["amount"] for c in p["credits_applied"]] == [-49_000]
    assert p["tax"]["tax_amount"] == money(5_500) and p["totals"] == [money(6_500)]
    placed = await order(api, ws, key, "topup", balance="conversation", amount=50_000)
    assert placed["invoice"]["amount"] == money(6_500)
    assert placed["invoice"]["tax"] == p["tax"]
    assert placed["topup"]["amount"]["amount"] == 50_000     # the wallet gets what was bought
    same(p, placed)
    assert [b["amount"] for b in (await credit_of(api, ws, key))["balances"]] == [0]


async def test_a_preview_reads_the_credit_and_takes_nothing(api):
    ws, key = await with_credit(api)
    for _ in range(2):
        p = await preview(api, ws, key, "topup", balance="conversation", amount=20_000)
        assert p["totals"] == [money(0)]                     # covered: paid without a provider
        assert [c["amount"]["amount"] for c in p["credits_applied"]] == [-20_000]
    assert [b["amount"] for b in (await credit_of(api, ws, key))["balances"]] == [49_000]
