"""The ledger's balance reads of a billing pass (a Free rollover reads its wallet's granted
balance to expire it) go through the pass's grouped database: one find for the wallets of the
subscriptions in progress, not one per subscription (bill20: a regression had made it one
`find_one` each, 1,000 of the 1,311 commands of a 2,000-subscription pass)."""
import dataclasses

from pymongo import monitoring

from jobs.run import running_services
from service.subscriptions import billing_run
from tests.jobs.test_billing_commands import due_in_30_days

EACH = 5


class WalletReads(monitoring.CommandListener):
    """The `find`s on `wallets` by `_id` while `on`, by whether they ask for one or several
    (the closing reconcile's read of every wallet is neither)."""

    def __init__(self) -> None:
        self.single, self.grouped, self.on = 0, 0, False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.on or event.command_name != "find" or event.command["find"] != "wallets":
            return
        wanted = event.command.get("filter", {}).get("_id")
        if isinstance(wanted, str):
            self.single += 1
        elif isinstance(wanted, dict) and "$in" in wanted:
            self.grouped += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


async def test_a_pass_reads_the_wallets_of_its_rollovers_together_not_one_by_one(
        settings, clock):
    reads = WalletReads()
    async with running_services(dataclasses.replace(settings, event_listeners=(reads,)),
                                clock) as svc:
        await due_in_30_days(svc, clock, "W", EACH)
        reads.on = True
        report = await billing_run.run_pass(svc, clock.now(), "worker")
        reads.on = False
    assert (report["rolled_renewed"], report["not_reconciled"]) == (EACH, 0), report
    # none alone (the regression: one `find_one` per rollover); how the rollovers interleave
    # decides how many grouped finds carry them (1-3 measured, timing-dependent, so not pinned)
    assert reads.single == 0 and reads.grouped >= 1, (reads.single, reads.grouped)
