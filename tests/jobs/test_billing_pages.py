"""A billing pass reads the due subscriptions a page at a time (bounded memory) and still
renews every one of them, each once, however many pages there are."""
from collections import Counter
from datetime import timedelta

from jobs.run import running_services
from service.subscriptions import billing_run
from service.workspaces.workspaces import Principal, create_workspace
from tests.conftest import START
from tests.subscription_helpers import WIB

COUNT = 7


async def test_one_pass_renews_every_due_subscription_over_several_pages(settings, clock, monkeypatch):
    monkeypatch.setattr(billing_run, "PAGE", 3)
    async with running_services(settings, clock) as svc:
        for i in range(COUNT):
            await create_workspace(svc, Principal("admin"), name=f"P{i}", phone_number_ids=[str(10**14 + i)],
                                   plan="free", reseller_id=None, now=START, tz=WIB)
        clock.set(START + timedelta(days=30, minutes=1))
        report = await billing_run.run_pass(svc, clock.now(), "worker")
        again = await billing_run.run_pass(svc, clock.now(), "worker")
        grants = Counter([d["workspace_id"] async for d in svc.db.ledger.find({"kind": "grant"})])
    assert (report["due"], report["claimed"], report["rolled_renewed"]) == (COUNT, COUNT, COUNT)
    assert again["due"] == 0
    assert sorted(grants.values()) == [2] * COUNT      # the first period's and the renewal's
