"""The demo of `make run` (service/portal/demo.py): started twice on the same store it leaves one
"Toko Demo" workspace with the same usage, top-ups and invoices, prints a fresh portal link each
time, and the link opens the portal; without the development defaults nothing is seeded."""
from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer

from service.portal.demo import DEMO_PHONE, enabled
from service.runtime.app import create_app
from service.runtime.context import SERVICES
from tests.helpers import Api
from tests.portal.helpers import Portal

LINK = re.compile(r"^  (http://\S+/portal/open/\S+)$", re.M)


async def _start(settings, clock, capsys) -> tuple[TestClient, str]:
    client = TestClient(TestServer(create_app(settings, clock=clock, background=False)))
    await client.start_server()
    printed = capsys.readouterr().out
    assert "Demo workspace 'Toko Demo'" in printed and "Admin API token: dev-admin" in printed
    assert "/panel/signin" in printed      # issue 13: the agency panel's address
    return client, urlsplit(LINK.search(printed).group(1)).path


async def _demo_state(client: TestClient) -> tuple[int, int, list]:
    db = client.server.app[SERVICES].db
    [workspace] = [w async for w in db.workspaces.find({"phone_number_ids": DEMO_PHONE})]
    invoices = await db.invoices.count_documents({"workspace_id": workspace["_id"]})
    entries = await db.ledger.count_documents({"workspace_id": workspace["_id"]})
    return invoices, entries, [w["_id"] async for w in db.workspaces.find({"name": "Toko Demo"})]


async def test_make_run_seeds_one_demo_workspace_and_its_link_opens_the_portal(
        settings, clock, capsys, browsers):
    dev = dataclasses.replace(settings, demo=True, admin_token="dev-admin")
    first, link = await _start(dev, clock, capsys)
    try:
        before = await _demo_state(first)
        portal = Portal(Api(first, clock), browsers())
        status, page = await portal.get(link)
        assert status == 200 and "Toko Demo" in page
        status, page = await portal.get("/portal/invoices")
        assert page.count("Lihat Detail") == 3
        assert "Lunas" in page and "Menunggu pembayaran" in page
        status, page = await portal.get("/portal/balance")
        assert "Rp99.350" in page               # the broadcast top-up less one broadcast
        resp = await first.get("/v1/admin/reconcile", headers=Api.auth("dev-admin"))
        assert (await resp.json())["ok"] is True
    finally:
        await first.close()
    second, again = await _start(dev, clock, capsys)     # a restart on the same store
    try:
        assert again != link
        assert await _demo_state(second) == before
        assert len(before[2]) == 1
        status, _ = await Portal(Api(second, clock), browsers()).get(again)
        assert status == 200
    finally:
        await second.close()


def test_only_the_development_defaults_seed_a_demo(settings):
    dev = dataclasses.replace(settings, demo=True, admin_token="dev-admin")
    assert enabled(dev)
    assert not enabled(dataclasses.replace(dev, demo=False))
    assert not enabled(dataclasses.replace(dev, admin_token="a-real-secret"))
    assert not enabled(dataclasses.replace(dev, payment_provider="none"))
