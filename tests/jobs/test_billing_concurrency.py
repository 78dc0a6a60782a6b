"""Two billing passes at once (separate app instances, as two processes would be) over 200 due
subscriptions: each gets exactly one renewal invoice and is renewed exactly once."""
import asyncio
from collections import Counter
from datetime import timedelta

from jobs.run import running_services
from service.payments.sandbox_checkout import press
from service.subscriptions.billing_run import run_pass
from service.reconcile.reconcile import reconcile
from service.workspaces.workspaces import Principal, create_workspace
from tests.conftest import START
from tests.subscription_helpers import WIB

COUNT = 200
END = START + timedelta(days=30)   # 2026-12-21 10:00 WIB


async def _create_many(svc) -> list[str]:
    async def one(i: int) -> str:
        doc, _ = await create_workspace(svc, Principal("admin"), name=f"T{i}",
                                        phone_number_ids=[str(10**14 + i)], plan="growth",
                                        reseller_id=None, now=START, tz=WIB, complimentary=True)
        return doc.id
    out: list[str] = []
    for start in range(0, COUNT, 50):
        out += await asyncio.gather(*(one(i) for i in range(start, min(start + 50, COUNT))))
    return out


async def _both(a, b, at) -> list[dict]:
    return await asyncio.gather(run_pass(a, at, "worker-a"), run_pass(b, at, "worker-b"))


async def test_two_passes_at_once_renew_each_subscription_exactly_once(settings, clock):
    async with running_services(settings, clock) as a, running_services(settings, clock) as b:
        workspaces = await _create_many(a)
        clock.set(END - timedelta(days=1))
        reports = await _both(a, b, clock.now())
        if sum(r.get("errors", 0) for r in reports):
            # Known issue-3 race (service/invoices/numbering.py): invoices racing to create a year's
            # counter raise NumberLost. A failed subscription stays due; the next pass
            # finishes it with the same order and invoice ids.
            assert (await run_pass(a, clock.now(), "worker-a")).get("errors", 0) == 0
        invoices = [d async for d in a.db.invoices.find({})]
        assert Counter(i["workspace_id"] for i in invoices) == {ws: 1 for ws in workspaces}
        assert sorted(i["code"] for i in invoices) == [
            f"INV/2026/{n:06d}" for n in range(1, COUNT + 1)]
        payments = [p["_id"] async for p in a.db.payments.find({})]
        for start in range(0, len(payments), 25):
            await asyncio.gather(*(press(a, p, "succeeded", clock.now())
                                   for p in payments[start:start + 25]))
        clock.set(END)
        reports = await _both(a, b, clock.now())
        assert sum(r.get("rolled_renewed", 0) for r in reports) == COUNT
        assert sum(r.get("errors", 0) for r in reports) == 0
        subs = [s async for s in a.db.subscriptions.find({})]
        assert {s["current_period_start"] for s in subs} == {END}
        assert all(s.get("boundary") is None and s.get("claim") is None for s in subs)
        grants = Counter([d["workspace_id"] async for d in a.db.ledger.find({"kind": "grant"})])
        assert grants == {ws: 2 for ws in workspaces}
        assert await a.db.invoices.count_documents({}) == COUNT
        assert (await reconcile(a)).ok
