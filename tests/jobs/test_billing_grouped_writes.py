"""A billing pass whose grouped conditional updates (service/mongo/grouped_writes.py) were
written but whose answers were lost (the process died between the bulk write and what
follows it) is finished by the next pass (and the payment sweep, which settles what a crash left
unsettled), with the same money and invoices as one clean pass."""
from collections import Counter

from jobs.run import running_services
from service.mongo import grouped_writes
from service.payments import settlement
from service.reconcile.reconcile import reconcile
from service.subscriptions import billing_run
from tests.jobs.test_billing_commands import due_in_30_days

EACH = 4


async def test_answers_lost_after_the_bulk_write_are_redone_by_the_next_pass_exactly_once(
        settings, clock, monkeypatch):
    real_flush = grouped_writes.GroupedWrites._flush
    killed: list[str] = []

    async def dies_after_the_write(self, collection, writes):
        answers = await real_flush(self, collection, writes)      # written...
        if collection in ("subscriptions", "invoices", "subscription_orders"):
            killed.append(collection)
            raise RuntimeError("killed after the bulk write")     # ...answers lost
        return answers

    async with running_services(settings, clock) as svc:
        await due_in_30_days(svc, clock, "G", EACH)
        monkeypatch.setattr(grouped_writes.GroupedWrites, "_flush", dies_after_the_write)
        first = await billing_run.run_pass(svc, clock.now(), "worker")
        monkeypatch.setattr(grouped_writes.GroupedWrites, "_flush", real_flush)
        assert killed and first["errors"] == 2 * EACH, first
        second = await billing_run.run_pass(svc, clock.now(), "worker")
        third = await billing_run.run_pass(svc, clock.now(), "worker")
        await settlement.sweep(svc, everything=True)   # what a crash left unsettled, as always
        grants = Counter([d["workspace_id"] async for d in svc.db.ledger.find({"kind": "grant"})])
        expiries = await svc.db.ledger.count_documents({"kind": "expiry"})
        invoices = [d async for d in svc.db.invoices.find({})]
        subs = [d async for d in svc.db.subscriptions.find({})]
        assert (await reconcile(svc)).ok
    assert second.get("errors", 0) == 0 and third["due"] == 0, (second, third)
    assert sorted(grants.values()) == [1] * EACH + [2] * EACH   # Free: first period + renewal
    assert expiries <= EACH                                      # at most one per Free boundary
    assert sorted(i["code"] for i in invoices) == [f"INV/2026/{n:06d}" for n in
                                                   range(1, EACH + 1)]
    assert all(i["status"] == "pending" and i["settled"] for i in invoices)
    assert all(s.get("boundary") is None and s.get("claim") is None for s in subs)
