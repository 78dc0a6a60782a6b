"""A billing pass reads the due subscriptions a page at a time (bounded memory) and still
renews every one of them, each once, however many pages there are."""
import asyncio
from collections import Counter
from datetime import timedelta

from jobs.run import running_services
from service.subscriptions import billing_run
from service.workspaces.workspaces import Principal, create_workspace
from tests.conftest import START
from tests.subscription_helpers import WIB

COUNT = 7


async def due_free_workspaces(svc, clock, prefix: str) -> None:
    """COUNT Free workspaces, due: the clock moved past their first period's end."""
    for i in range(COUNT):
        await create_workspace(svc, Principal("admin"), name=f"{prefix}{i}", phone_number_ids=[str(10**14 + i)],
                               plan="free", reseller_id=None, now=START, tz=WIB)
    clock.set(START + timedelta(days=30, minutes=1))


async def test_one_pass_renews_every_due_subscription_over_several_pages(settings, clock, monkeypatch):
    monkeypatch.setattr(billing_run, "PAGE", 3)
    async with running_services(settings, clock) as svc:
        await due_free_workspaces(svc, clock, "P")
        report = await billing_run.run_pass(svc, clock.now(), "worker")
        again = await billing_run.run_pass(svc, clock.now(), "worker")
        grants = Counter([d["workspace_id"] async for d in svc.db.ledger.find({"kind": "grant"})])
    assert (report["due"], report["claimed"], report["rolled_renewed"]) == (COUNT, COUNT, COUNT)
    assert again["due"] == 0
    assert sorted(grants.values()) == [2] * COUNT      # the first period's and the renewal's


async def test_the_next_page_is_claimed_while_the_one_before_is_in_progress(settings, clock, monkeypatch):
    """Two cohorts in different steps: while one waits for the store, the other's answers are
    worked on. The first page's subscriptions are held until the second page is claimed; a
    pass that read the next page only after the first one ended would never let them go."""
    monkeypatch.setattr(billing_run, "PAGE", 3)
    claims, second_claimed = [], asyncio.Event()
    claim_many, process = billing_run.state.claim_many, billing_run.process

    async def counted_claim(svc, page, *args):
        won = await claim_many(svc, page, *args)
        claims.append(sorted(won))
        if len(claims) == 2:
            second_claimed.set()
        return won

    async def held(svc, claimed, *args):
        if claimed.workspace_id in claims[0]:
            await asyncio.wait_for(second_claimed.wait(), 10)   # a bound for the failing case
        return await process(svc, claimed, *args)

    monkeypatch.setattr(billing_run.state, "claim_many", counted_claim)
    monkeypatch.setattr(billing_run, "process", held)
    async with running_services(settings, clock) as svc:
        await due_free_workspaces(svc, clock, "Q")
        report = await billing_run.run_pass(svc, clock.now(), "worker")
    assert [len(c) for c in claims] == [3, 3, 1]
    assert (report["claimed"], report["rolled_renewed"], report.get("errors", 0)) == (COUNT, COUNT, 0)
