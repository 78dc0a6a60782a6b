"""The ledger's counters are summed per flush before they are moved (issue 16, web CPU per
webhook): one `inc` per counter and balance, not per intent. What a scrape reads is unchanged:
every charge of a webhook counted, by balance, and its rupiah."""
from __future__ import annotations

from prometheus_client import generate_latest

from billing.money import Money
from billing.wallet import LedgerIntent
from service.metrics.registry import Metrics
from tests.helpers import PHONE_A, status, status_payload
from tests.metrics.helpers import samples, scrape, value
from tests.metrics.test_metrics import WEBHOOK, moved


async def test_several_charges_of_one_balance_in_a_webhook_are_each_counted(api):
    await api.create_workspace([PHONE_A])
    before = await scrape(api.client)
    payload = status_payload(PHONE_A, [status(f"wamid.s{n}", "delivered", "service")
                                       for n in range(3)] + [
        status("wamid.b1", "delivered", "marketing"), status("wamid.b2", "delivered", "marketing")])
    assert (await api.webhook(payload)).status == 200
    assert moved(before, await scrape(api.client)) == {
        (WEBHOOK, (("outcome", "processed"),)): 1,
        ("saldo_charges_total", (("balance", "conversation"),)): 3,
        ("saldo_charged_rupiah_total", (("balance", "conversation"),)): 90,
        ("saldo_charges_total", (("balance", "broadcast"),)): 2,
        ("saldo_charged_rupiah_total", (("balance", "broadcast"),)): 1300,
        ("saldo_ledger_posts_total", (("balance", "conversation"),)): 3,
        ("saldo_ledger_posts_total", (("balance", "broadcast"),)): 2}


def test_applied_counts_every_intent_and_charges_only_as_charges():
    metrics = Metrics()
    metrics.applied([LedgerIntent("c1", "charge", "conversation", Money.idr(30)),
                     LedgerIntent("c2", "charge", "conversation", Money.idr(30)),
                     LedgerIntent("t1", "topup", "conversation", Money.idr(10_000)),
                     LedgerIntent("b1", "charge", "broadcast", Money.idr(650))])
    metrics.applied([])
    got = samples(generate_latest(metrics.registry).decode())
    assert value(got, "saldo_ledger_posts_total", balance="conversation") == 3
    assert value(got, "saldo_ledger_posts_total", balance="broadcast") == 1
    assert value(got, "saldo_charges_total", balance="conversation") == 2
    assert value(got, "saldo_charged_rupiah_total", balance="conversation") == 60
    assert value(got, "saldo_charged_rupiah_total", balance="broadcast") == 650
