"""A year of billing, simulated with run-due passes: grants once per period, expiry, renewals
paid and unpaid (grace, then Free), a new subscription, invoice codes and types. Every pass is
run twice at the same instant: the second changes nothing."""
import asyncio
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from billing.periods import add_months
from tests.conftest import START
from tests.helpers import PHONE_A, app_services, assert_reconciled, status, status_payload
from tests.helpers import usage_entries
from tests.subscription_helpers import (WIB, change, invoices, pay, run_due, subscription,
                                        wib)

ROOT = Path(__file__).resolve().parents[2]


def boundary(k: int):
    """Start of the k-th monthly period of a subscription anchored 2026-11-21 10:00 WIB."""
    return add_months(START.astimezone(WIB), k, 21)


async def snapshot(api, ws: str) -> tuple:
    db = app_services(api).db
    ledger = sorted([d["_id"] async for d in db.ledger.find({"workspace_id": ws}, {"_id": 1})])
    invoices_ = sorted([(d.get("code"), d["status"]) async for d in db.invoices.find(
        {"workspace_id": ws})])
    sub = await db.subscriptions.find_one({"_id": ws})
    return (ledger, invoices_, sub["plan"], sub["period"], sub["current_period_start"],
            sub.get("scheduled_change"), sub.get("boundary"))


async def twice(api, ws: str, at) -> None:
    await run_due(api, at)
    first = await snapshot(api, ws)
    report = await run_due(api, at)
    assert await snapshot(api, ws) == first
    assert report.get("errors", 0) == 0 and report["not_reconciled"] == 0


async def renew_and_pay(api, ws: str, key: str, k: int) -> None:
    """Pass at the renewal lead of period k's end: one renewal invoice; pay it; roll over."""
    before = len(await invoices(api, ws, key))
    await twice(api, ws, boundary(k) - timedelta(days=3))
    new = await invoices(api, ws, key)
    assert len(new) == before + 1 and new[0]["type"] == "renewal"
    assert new[0]["status"] == "pending" and new[0]["amount"]["amount"] == 299_000
    payment = await app_services(api).db.payments.find_one({"invoice_code": new[0]["code"]})
    await pay(api, {"payment": {"id": payment["_id"]}})
    await twice(api, ws, boundary(k))
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["status"]) == ("growth", "active")
    assert datetime.fromisoformat(sub["current_period"]["start"]) == boundary(k)


async def test_a_year_of_renewals_lapse_and_resubscription(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    await api.webhook(status_payload(PHONE_A, [status("wamid.1", "delivered", "service")]))
    for k in range(1, 5):                       # Dec 2026 … Mar 2027: renewed and paid
        await renew_and_pay(api, ws, key, k)
    entries = {e["id"]: e for e in await usage_entries(api, ws, key, limit=500)}
    first_expiry = entries[f"expiry:{ws}:{START.isoformat()}"]
    assert first_expiry["amount"]["amount"] == -29_970   # Rp30.000 granted − one reply

    end = boundary(5)                           # 2027-04-21: renewal left unpaid
    await twice(api, ws, end - timedelta(days=3))
    await twice(api, ws, end)
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["status"]) == ("growth", "past_due")
    await twice(api, ws, end + timedelta(days=6))
    assert (await subscription(api, ws, key))["plan"] == "growth"     # still in grace
    await twice(api, ws, end + timedelta(days=7))
    sub = await subscription(api, ws, key)
    assert (sub["plan"], sub["status"]) == ("free", "active")
    assert sub["current_period"]["start"].startswith("2027-04-21T03:00:00")
    unpaid = [i for i in await invoices(api, ws, key) if i["status"] == "expired"]
    assert [i["type"] for i in unpaid] == ["renewal", "renewal"]      # re-issued once expired

    await twice(api, ws, boundary(6))           # Free renews by itself, no invoice
    api.clock.set(wib(2027, 6, 1))
    await pay(api, await change(api, ws, key, "growth"))
    await twice(api, ws, boundary(7))
    assert (await subscription(api, ws, key))["plan"] == "growth"
    for k in range(8, 13):                      # July … November 2027
        await renew_and_pay(api, ws, key, k)

    entries = {e["id"]: e for e in await usage_entries(api, ws, key, limit=500)}
    grants = sorted(k for k, e in entries.items() if e["kind"] == "grant")
    assert grants == sorted(f"grant:{ws}:{boundary(k).astimezone(START.tzinfo).isoformat()}"
                            for k in range(13))      # once per period, 13 periods
    expiries = [k for k, e in entries.items() if e["kind"] == "expiry"]
    assert len(expiries) == 12
    assert await api.amounts(ws, key) == {"conversation": (30_000, 0, 0),
                                          "broadcast": (0, 0, 0)}
    all_invoices = await invoices(api, ws, key)
    by_year: dict = {}
    for inv in sorted(all_invoices, key=lambda i: i["code"]):
        by_year.setdefault(inv["code"][4:8], []).append(int(inv["code"][9:]))
    assert {y: n == list(range(1, len(n) + 1)) for y, n in by_year.items()} == {
        "2026": True, "2027": True}                  # gapless per year
    types = [i["type"] for i in sorted(all_invoices, key=lambda i: i["code"])]
    assert types.count("subscription") == 1 and types.count("renewal") == 11
    await assert_reconciled(api)


async def test_the_cli_runs_one_pass_at_the_given_time(api, settings):
    ws, key = await api.create_workspace([PHONE_A])
    env = {**os.environ, "MONGODB_URI": settings.mongodb_uri,
           "MONGODB_DB": settings.mongodb_db, "LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jobs", "run-due", "--now", "2027-01-21T10:00:00+07:00",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["claimed"] == 1 and report["rolled_renewed"] == 2
    sub = await subscription(api, ws, key)
    assert sub["current_period"]["start"].startswith("2027-01-21T03:00:00")
    assert await api.amounts(ws, key) == {"conversation": (15_000, 0, 0),
                                          "broadcast": (0, 0, 0)}
    await assert_reconciled(api)
