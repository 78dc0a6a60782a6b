"""`keep` (service/addons/purchases.py): the undo of a stop at the period end that the portal's
Keep button places, on the quantity held when it runs (the API's undo is a PATCH to that
quantity)."""
import pytest

from billing.errors import AddonOneTime, NotFound
from service.addons import purchases
from service.workspaces.lookup import workspace_by_id
from tests.addon_helpers import EXTRA_USER, addon_body, buy_and_pay, create_addon, held, stop
from tests.helpers import PHONE_A, app_services, assert_reconciled


async def test_keep_undoes_a_stop_at_the_period_end_and_changes_nothing_else(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    user = await create_addon(api, EXTRA_USER)
    await buy_and_pay(api, ws, key, user["id"], 3)
    svc = app_services(api)
    workspace = await workspace_by_id(svc, ws)
    assert (await stop(api, ws, key, user["id"])).status == 200
    placed = await purchases.keep(svc, workspace, user["id"], api.clock.now())
    assert (placed.quantity, placed.credit, placed.invoice) == (3, None, None)
    holding = (await held(api, ws, key))[user["id"]]
    assert (holding["quantity"], holding["stops_at_period_end"]) == (3, False)
    again = await purchases.keep(svc, workspace, user["id"], api.clock.now())   # nothing to undo
    assert (again.quantity, again.credit) == (3, None)
    await assert_reconciled(api)


async def test_keep_refuses_one_time_and_missing_addons(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    pack = await create_addon(api, addon_body("feature-pack", type="feature", billing="one_time",
                                               entitlements=["api_access"]))
    await buy_and_pay(api, ws, key, pack["id"])
    svc = app_services(api)
    workspace = await workspace_by_id(svc, ws)
    with pytest.raises(AddonOneTime):
        await purchases.keep(svc, workspace, pack["id"], api.clock.now())
    with pytest.raises(NotFound):
        await purchases.keep(svc, workspace, "ad_missing", api.clock.now())
