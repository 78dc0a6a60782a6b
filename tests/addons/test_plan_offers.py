"""What a plan change may carry (service/addons/offers.py, the portal's Order Summary): the
recurring add-ons the workspace may buy on the target plan and period, with their maximum,
by the name the customer sees."""
from __future__ import annotations

from service.addons.plan_offers import change_offers
from service.workspaces.lookup import workspace_by_id
from tests.addon_helpers import (EXTRA_CONTACTS, EXTRA_USER, FEATURE_BUNDLE, WA_CONV,
                                 addon_body, create_addon)
from tests.helpers import PHONE_A, app_services


async def test_offers_are_the_recurring_addons_of_the_target_plan_and_period(api):
    ws, _ = await api.create_workspace([PHONE_A])
    user = await create_addon(api, EXTRA_USER)               # monthly and yearly
    contacts = await create_addon(api, EXTRA_CONTACTS)       # monthly only
    bundle = await create_addon(api, FEATURE_BUNDLE)         # Pro only, one at a time
    await create_addon(api, WA_CONV)                         # one-time: bought on its own
    await create_addon(api, addon_body("hidden-seat", visibility={"resellers": "all",
                                                                  "direct": False}))
    svc = app_services(api)
    workspace = await workspace_by_id(svc, ws)

    async def offers(plan: str, unit: str) -> list[tuple[str, int]]:
        return [(o.addon.id, o.max_quantity)
                for o in await change_offers(svc, workspace, plan, unit)]

    # by the name shown: "Additional 1.000 contacts", "Additional User", "Developer bundle"
    assert await offers("growth", "monthly") == [(contacts["id"], 50), (user["id"], 50)]
    assert await offers("growth", "yearly") == [(user["id"], 50)]
    assert await offers("pro", "monthly") == [(contacts["id"], 50), (user["id"], 50),
                                              (bundle["id"], 1)]
