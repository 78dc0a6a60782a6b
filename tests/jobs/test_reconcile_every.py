"""A billing pass runs the full reconcile only when the kept run is older than
`SALDO_RECONCILE_EVERY` (default 1 h): at 1,000,000 ledger entries one takes minutes, and passes
run every minute. Between two, a pass reports the kept run's count, so a violation written just
after a reconcile is reported by the first pass an hour later (and by GET /v1/admin/reconcile,
which always runs one, at once)."""
from datetime import timedelta

from service.subscriptions.billing_run import run_pass
from tests.helpers import PHONE_A, app_services
from tests.reconcile_helpers import forge


async def test_a_pass_reconciles_once_the_kept_run_is_an_hour_old(api):
    svc = app_services(api)
    assert svc.settings.reconcile_every == timedelta(hours=1)
    ws, _ = await api.create_workspace([PHONE_A])
    start = api.clock.now()
    assert (await run_pass(svc, start))["not_reconciled"] == 0
    await forge(api, ws, [("topup:tp_nowhere", "topup", "conversation", 70_000, {})])

    api.clock.set(start + timedelta(minutes=10))     # the kept run (0 failing) is recent
    assert (await run_pass(svc, api.clock.now()))["not_reconciled"] == 0
    api.clock.set(start + timedelta(minutes=61))     # older than an hour: a full run again
    assert (await run_pass(svc, api.clock.now()))["not_reconciled"] == 1
    api.clock.set(start + timedelta(minutes=62))     # its count is kept, not forgotten
    assert (await run_pass(svc, api.clock.now()))["not_reconciled"] == 1


async def test_a_pass_before_the_kept_run_reconciles(api):
    """The time machine went back (a run's `now` before the kept run's): no kept answer."""
    svc = app_services(api)
    ws, _ = await api.create_workspace([PHONE_A])
    start = api.clock.now()
    assert (await run_pass(svc, start + timedelta(minutes=30)))["not_reconciled"] == 0
    await forge(api, ws, [("topup:tp_nowhere", "topup", "conversation", 70_000, {})])
    assert (await run_pass(svc, start))["not_reconciled"] == 1
