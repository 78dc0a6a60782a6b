"""A renewal's boundary is removed by the release of its claim (issue 16, branch bill19): a
Free rollover writes its subscription three times (claim, the period moved, release), not
four; a pass killed after posting the boundary, before the release, leaves it stored, and the
next pass posts it again (idempotent by ledger key) and removes it: one grant and one expiry."""
import dataclasses
from datetime import timedelta

import pytest

from jobs.run import running_services
from service.subscriptions import billing_run, state
from tests.conftest import START
from tests.handlers.test_store_commands import CommandCounter
from tests.helpers import PHONE_A, app_services, assert_reconciled, usage_entries
from tests.jobs.test_billing_commands import due_in_30_days
from tests.subscription_helpers import run_due, wib

END = wib(2026, 12, 21, 10)


async def test_a_free_renewal_writes_its_subscription_three_times(settings, clock):
    counter = CommandCounter()
    async with running_services(dataclasses.replace(settings, event_listeners=(counter,)),
                                clock) as svc:
        await due_in_30_days(svc, clock, "B", each=1)
        await svc.db.subscriptions.delete_many({"plan": {"$ne": "free"}})
        report, counts = await counter.measure(billing_run.run_pass(svc, clock.now(), "w"))
        doc = await svc.db.subscriptions.find_one({})
    assert (report["claimed"], report["rolled_renewed"]) == (1, 1)
    assert counts[("update", "subscriptions")] == 3        # claim, rollover, release
    assert "boundary" not in doc and doc["claim"] is None
    assert doc["current_period_start"] == START + timedelta(days=30)


async def test_a_pass_killed_before_its_release_is_finished_once_by_the_next(api, monkeypatch):
    ws, key = await api.create_workspace([PHONE_A])
    svc = app_services(api)

    async def killed(*args, **kwargs):
        raise RuntimeError("killed")
    monkeypatch.setattr(state, "release_many", killed)
    with pytest.raises(RuntimeError):
        await run_due(api, END)
    monkeypatch.undo()
    doc = await svc.db.subscriptions.find_one({"_id": ws})
    assert doc["boundary"]["start"] == END and doc["claim"] is not None   # posted, held
    kinds = sorted(e["kind"] for e in await usage_entries(api, ws, key))
    assert kinds == ["expiry", "grant", "grant"]
    report = await run_due(api, END + svc.settings.billing_claim_lease)    # the lease ran out
    doc = await svc.db.subscriptions.find_one({"_id": ws})
    assert report["claimed"] == 1 and "boundary" not in doc and doc["claim"] is None
    assert sorted(e["kind"] for e in await usage_entries(api, ws, key)) == kinds
    assert await api.amounts(ws, key) == {"conversation": (15_000, 0, 0), "broadcast": (0, 0, 0)}
    await assert_reconciled(api)
