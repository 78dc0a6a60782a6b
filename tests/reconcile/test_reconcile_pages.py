"""Reconcile at any size (issue 16): no store command it sends reads more than a page, however
long a workspace's ledger or however many wallets (at 1,000,000 entries one window's ledger
find held the embedded store for minutes, so `/v1/admin/reconcile` answered 503 and every
webhook meanwhile waited), and the answer is the same whatever the page sizes."""

import pytest
from pymongo import monitoring

from billing.charging import charge_intent
from billing.rates import RateCard
from service.reconcile import pages
from service.reconcile import reconcile as reconcile_module
from service.reconcile.reconcile import reconcile
from service.reconcile.repository import ReconcileReads
from tests.helpers import Api, app_services
from tests.reconcile_helpers import forge
from tests.whatsapp.test_webhook_store_commands import listened as app_listened

PHONES = [f"62811000003{i:02d}" for i in range(5)]


class Finds(monitoring.CommandListener):
    """The collection and `limit` of every find the app sends."""

    def __init__(self) -> None:
        self.finds: list[tuple[str, int | None]] = []

    def started(self, event) -> None:
        if event.command_name == "find":
            self.finds.append((event.command["find"], event.command.get("limit")))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


@pytest.fixture
async def listened(aiohttp_client, settings, clock):
    finds = Finds()
    return await app_listened(aiohttp_client, settings, clock, finds), finds


async def _charged(api: Api, phone: str, charges: int) -> str:
    """A Growth workspace with `charges` WhatsApp charges posted to its ledger."""
    ws, _ = await api.create_workspace([phone], plan="growth")
    svc = app_services(api)
    intents = [charge_intent(f"wamid.{phone}.{n}", "service", RateCard(), inferred=False)
               for n in range(charges)]
    for start in range(0, len(intents), 400):
        await svc.ledger.post(ws, intents[start:start + 400], api.clock.now())
    return ws


async def test_no_reconcile_find_reads_more_than_a_page_of_wallets_or_ledger_entries(listened):
    api, listener = listened
    long_one = await _charged(api, PHONES[0], pages.LEDGER_PAGE + 30)
    others = [await _charged(api, PHONES[1], 2), await _charged(api, PHONES[2], 0)]
    listener.finds.clear()
    body = await api.reconcile()
    assert body["ok"] is True, body["violations"][:3]
    checked = {w["workspace_id"]: w for w in body["workspaces"]}
    assert set(checked) == {long_one, *others}
    assert checked[long_one]["balances"]["conversation"]["ledger_sum"] \
        == checked[long_one]["balances"]["conversation"]["balance"]
    paged = [(c, limit) for c, limit in listener.finds if c in ("ledger", "wallets")]
    assert paged and all(limit is not None and limit <= max(pages.LEDGER_PAGE,
                                                            pages.WALLET_PAGE + 1)
                         for _, limit in paged), paged
    assert sum(c == "ledger" for c, _ in paged) >= 2      # the long ledger took two pages


async def test_reconcile_answers_the_same_with_pages_of_a_few_documents(api, monkeypatch):
    """Pages of 4 entries and 2 wallets, and the checks of longer ledgers in a worker thread."""
    counts = [0, 3, 4, 9, 1]                  # around pages of 4 entries (each with its grant)
    workspaces = [await _charged(api, phone, n) for phone, n in zip(PHONES, counts)]
    last = max(workspaces)
    await forge(api, last, [("topup:tp_nowhere", "topup", "conversation", 70_000, {})])
    whole = await api.reconcile()
    monkeypatch.setattr(pages, "LEDGER_PAGE", 4)
    monkeypatch.setattr(pages, "WALLET_PAGE", 2)
    monkeypatch.setattr(reconcile_module, "IN_THREAD_FROM", 4)   # longer ledgers: in a thread
    paged = await api.reconcile()
    assert paged == whole
    assert [w["workspace_id"] for w in paged["workspaces"]] == sorted(workspaces)
    assert [(v["rule"], v["workspace_id"]) for v in paged["violations"]] \
        == [("credit_without_cause", last)]
    assert all(b["ok"] for w in paged["workspaces"] for b in w["balances"].values())
    ledger = app_services(api).db.ledger
    for w in paged["workspaces"]:
        entries = [d async for d in ledger.find({"workspace_id": w["workspace_id"]})]
        assert w["balances"]["conversation"]["ledger_sum"] == sum(
            d["amount"] for d in entries if d["balance"] == "conversation")
    some = [w for w in workspaces if w != last][::-2]      # not in id order, the forged one out
    chosen = await reconcile(app_services(api), some)
    assert [w.workspace_id for w in chosen.workspaces] == sorted(some) and chosen.ok


async def test_charges_posted_while_a_long_reconcile_runs_do_not_make_it_fail(api, monkeypatch):
    """A full run takes minutes at 1,000,000 entries and webhooks keep charging meanwhile: a
    workspace is checked against the ledger as its wallet (read first) knew it. Before, the
    entries posted after the wallet was read counted in the ledger sum: `ok: false`."""
    ws = await _charged(api, PHONES[0], 3)
    svc, windows = app_services(api), ReconcileReads.windows

    async def charged_meanwhile(self, workspace_ids):
        async for window in windows(self, workspace_ids):
            intents = [charge_intent(f"wamid.late.{n}", "service", RateCard(), inferred=False)
                       for n in range(5)]
            await svc.ledger.post(ws, intents, api.clock.now())    # after the wallet was read
            yield window
    monkeypatch.setattr(ReconcileReads, "windows", charged_meanwhile)
    body = await api.reconcile()
    assert body["ok"] is True, body
    monkeypatch.undo()
    again = await api.reconcile()                 # the next run sees them, and still holds
    assert again["ok"] is True
    before, after = (b["workspaces"][0]["balances"]["conversation"]["ledger_sum"]
                     for b in (body, again))
    assert after == before - 5 * 30
