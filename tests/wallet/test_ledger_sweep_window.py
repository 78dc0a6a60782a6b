"""The sweep's wallet window resumes where this process's previous sweep ended: a wallet written
once is read by the sweeps of a few minutes, not by every sweep of the hour (with 100,000 active
wallets every one was read every 30 s); a write a crash left unfinished is still finished."""
from datetime import timedelta

from pymongo import monitoring

from service.whatsapp import webhooks
from tests.helpers import app_services
from tests.wallet.test_ledger_protocol import charge, ledger_sums_hold, post_and_die_before_finalizing
from tests.whatsapp.test_webhook_store_commands import listened


class WalletsSwept(monitoring.CommandListener):
    """How many wallet documents the sweep's window finds returned."""

    def __init__(self) -> None:
        self.asked: set[int] = set()
        self.read = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if command.get("find") == "wallets" and "updated_ms" in command.get("filter", {}):
            self.asked.add(event.request_id)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.request_id in self.asked:
            self.read += len(event.reply.get("cursor", {}).get("firstBatch", []))

    def failed(self, event) -> None:
        pass


async def _swept(svc, swept: WalletsSwept) -> tuple[int, dict]:
    swept.read = 0
    summary = await webhooks.sweep(svc)
    return swept.read, summary


async def test_a_sweep_reads_only_the_wallets_written_since_the_previous_one(
        aiohttp_client, settings, clock, monkeypatch):
    swept = WalletsSwept()
    api = await listened(aiohttp_client, settings, clock, swept)
    made = [await api.create_workspace([f"6281200000{k:05d}"]) for k in range(3)]
    svc = app_services(api)
    clock.advance(timedelta(minutes=1))
    assert (await _swept(svc, swept))[0] == 3          # written a minute ago: looked at
    clock.advance(timedelta(minutes=6))
    assert (await _swept(svc, swept))[0] == 3          # within SWEEP_OVERLAP of the last one
    for minutes in (1, 1, 20):                         # before: 3 each time, for an hour
        clock.advance(timedelta(minutes=minutes))
        assert (await _swept(svc, swept))[0] == 0
    ws, _ = made[0]
    await post_and_die_before_finalizing(svc.ledger, ws, charge("idle", 30), clock.now(),
                                         monkeypatch)
    clock.advance(timedelta(minutes=1))
    read, summary = await _swept(svc, swept)
    assert (read, summary["wallets_finalized"]) == (1, 1)
    assert await ledger_sums_hold(api)
