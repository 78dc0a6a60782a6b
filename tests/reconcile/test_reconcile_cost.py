"""What reconcile costs in store commands, counted by a PyMongo command listener on the app's
clients (issue 18; the README's figure). It does not depend on the history's length nor, within
a window of workspaces, on their number: one find per collection and window (issue 16; before,
per workspace), whatever it holds. Run with `-s` to see them."""
from collections import Counter

import pytest

from tests.handlers.test_store_commands import CommandCounter, _report
from tests.helpers import ADMIN_TOKEN, press_pay, status, status_payload, topup
from tests.whatsapp.test_webhook_store_commands import listened

PER_WINDOW = 9        # ledger, top-ups, add-on orders, plan orders, invoices, payments,
#                       subscriptions, workspaces, account credit (issue 18: 9 per workspace)
PER_RUN = 3           # plans, the wallets' page (issue 16: pages of 200), the run kept (runs.py)


@pytest.fixture
async def counted(aiohttp_client, settings, clock):
    counter = CommandCounter()
    return await listened(aiohttp_client, settings, clock, counter), counter


async def _history(api, phone: str, charges: int) -> None:
    ws, key = await api.create_workspace([phone])
    placed = await topup(api, ws, key, "conversation", 50_000)
    assert (await press_pay(api, placed["payment"]["id"])).status == 200
    statuses = [status(f"wamid.{phone}.{i}", "delivered", "service") for i in range(charges)]
    assert (await api.webhook(status_payload(phone, statuses))).status == 200


async def test_reconcile_reads_a_window_of_workspaces_with_a_fixed_number_of_commands(counted):
    api, counter = counted
    for n, phone in enumerate(("6281100000021", "6281100000022", "6281100000023")):
        await _history(api, phone, charges=10 * (n + 1))
    resp, counts = await counter.measure(api.client.get(
        "/v1/admin/reconcile", headers=api.auth(ADMIN_TOKEN)))
    body = await resp.json()
    assert body["ok"] is True, body
    total = _report("reconcile, 3 workspaces", counts)
    by_collection = Counter(collection for (_, collection) in counts.elements())
    assert by_collection["ledger"] == 1 and by_collection["payments"] == 1
    assert total == PER_RUN + PER_WINDOW, counts
