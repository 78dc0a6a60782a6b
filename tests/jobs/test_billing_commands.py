"""The billing pass's store commands per due subscription (issue 16), counted by a PyMongo
command listener on the pass's own clients: the test fails if the pass grows. Half the
subscriptions are on Free (they roll over: new period, grant, the old grant expired), half on
Growth's complimentary month (they get their renewal invoice). Run with `-s` to see the counts.

Measured (6 subscriptions, reconcile included): 181 commands before issue 16 (30.2 per
subscription: reconcile read 9 per workspace, a roll read the subscription and its orders
twice, ...), 115 after (19.2); 90 (15.0) once a pass groups the `_id` reads, inserts, order
reads, claims and releases of the subscriptions in progress (at 2,000 subscriptions: 7.9 each,
bench/billing_run.py --profile-commands); 64-74 (10.7-12.3) once their conditional updates,
the ledger's balance reads and the invoice numbers are grouped too (at 2,000: 2.9 each; 0.7
with a whole page in progress instead of 100); 112 one at a time and 60 grouped once a renewal's
boundary is removed by the release of its claim (bill19: a Free rollover writes its
subscription three times, not four).

How many commands grouping saves depends on how the subscriptions in progress interleave (83 to
100 measured for the same 6), so the budget is checked one subscription at a time, where the
count is exact (112: the per-subscription work, plus the page's claim and release, plus
PER_PASS: the kept reconcile run read to decide whether this pass reconciles, and its write),
and the grouped pass must cost fewer: at most GROUPED."""
import dataclasses
from datetime import timedelta

from jobs.run import running_services
from service.subscriptions import billing_run
from service.workspaces.workspaces import Principal, create_workspace
from tests.conftest import START
from tests.handlers.test_store_commands import CommandCounter, _report
from tests.subscription_helpers import WIB

EACH = 3                      # Free ones, and as many Growth ones
PER_SUBSCRIPTION = 19         # one at a time: measured 18.7 (112); grouped 10.0
ONE_AT_A_TIME = 112
PER_PASS = 2                  # the kept reconcile run: read (is one due?) and replaced
GROUPED = 70                  # measured 60 (64-74 before bill19)


async def due_in_30_days(svc, clock, prefix: str, each: int = EACH) -> None:
    """`each` Free workspaces and `each` on Growth's complimentary month, the clock a minute
    past their period's end (also tests/jobs/test_billing_grouped_writes.py)."""
    for i in range(2 * each):
        await create_workspace(svc, Principal("admin"), name=f"{prefix}{i}",
                               phone_number_ids=[str(10**14 + i)],
                               plan="free" if i < each else "growth", reseller_id=None,
                               now=START, tz=WIB, complimentary=i >= each)
    clock.set(START + timedelta(days=30, minutes=1))


async def _pass_commands(settings, clock) -> tuple[dict, int]:
    counter = CommandCounter()
    async with running_services(dataclasses.replace(settings, event_listeners=(counter,)),
                                clock) as svc:
        await due_in_30_days(svc, clock, "C")
        report, counts = await counter.measure(
            billing_run.run_pass(svc, clock.now(), "worker"))
    assert (report["claimed"], report["rolled_renewed"], report["renewals_issued"],
            report["not_reconciled"]) == (2 * EACH, EACH, EACH, 0), report
    return counts, _report(f"billing pass, 6 subscriptions, {billing_run.CONCURRENCY} at a time",
                           counts)


async def test_a_billing_pass_stays_within_its_store_commands_per_subscription(
        settings, clock, monkeypatch):
    monkeypatch.setattr(billing_run, "CONCURRENCY", 1)
    counts, total = await _pass_commands(settings, clock)
    assert total <= PER_SUBSCRIPTION * 2 * EACH + PER_PASS, counts


async def test_subscriptions_in_progress_together_share_their_commands(settings, clock):
    """Measured: 45 to 55 of the 119 saved (52 of 112 after bill19)."""
    counts, total = await _pass_commands(settings, clock)
    assert total <= GROUPED, counts
