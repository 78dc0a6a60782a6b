"""The workspaces feature hands out records: documents in, frozen records out, and back."""
import dataclasses
from datetime import datetime, timezone

import pytest

from billing.money import Money
from service.workspaces.records import ApiKey, Workspace
from service.workspaces.repository import (ApiKeys, Workspaces, workspace_from_doc,
                                           workspace_to_doc)
from tests.helpers import app_services

AT = datetime(2026, 3, 1, 3, 0, tzinfo=timezone.utc)


def test_a_workspace_survives_the_trip_to_its_document_and_back():
    ws = Workspace("ws_1", "Toko", ("6281",), "growth", "rs_1", Money.idr(20_000),
                   {"marketing": Money.idr(900)}, AT)
    assert workspace_from_doc(workspace_to_doc(ws)) == ws


def test_a_workspace_record_is_frozen():
    ws = workspace_from_doc({"_id": "ws_1", "name": "Toko", "plan": "free",
                             "arrears_limit": 15_000})
    with pytest.raises(dataclasses.FrozenInstanceError):
        ws.plan = "pro"  # type: ignore[misc]
    assert ws.rate_overrides == {} and ws.reseller_id is None and ws.phone_number_ids == ()


def test_a_key_that_names_no_tenant_is_refused():
    assert not ApiKey("h", "reseller").names_its_tenant()
    assert not ApiKey("h", "workspace", reseller_id="rs_1").names_its_tenant()
    assert ApiKey("h", "workspace", workspace_id="ws_1").names_its_tenant()


async def test_replacing_keys_revokes_every_other_key_of_the_workspace_once(api):
    keys = ApiKeys(app_services(api).db)
    for h in ("a", "b", "c"):
        await keys.insert(ApiKey(h, "workspace", "ws_1", None, AT))
    await keys.insert(ApiKey("other", "workspace", "ws_2", None, AT))
    assert await keys.revoke_workspace_keys("ws_1", "c", AT) == 2
    assert await keys.revoke_workspace_keys("ws_1", "c", AT) == 0
    assert [(await keys.get(h)).revoked for h in ("a", "b", "c", "other")] == [
        True, True, False, False]


async def test_saving_a_workspace_writes_only_the_fields_named(api):
    workspaces = Workspaces(app_services(api).db)
    ws = Workspace("ws_1", "Toko", ("6281",), "free", None, Money.idr(15_000), {}, AT)
    await workspaces.insert(ws)
    await workspaces.set_plan("ws_1", "growth")          # the subscription moved meanwhile
    await workspaces.save(dataclasses.replace(ws, name="Toko Baru"), {"name"})
    assert await workspaces.get("ws_1") == dataclasses.replace(ws, name="Toko Baru",
                                                               plan="growth")
