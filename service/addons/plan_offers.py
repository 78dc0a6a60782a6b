"""The add-ons a plan change may carry (the portal's Order Summary, issue 12): those the
workspace may buy on the target plan and period (active, visible to its reseller or to direct
customers, applicable, sold in that period: `catalog.offered`), recurring only (one-time
add-ons are bought on their own: 409 `addon_one_time` in a change), each with the most units
one subscription may hold."""
from __future__ import annotations

from dataclasses import dataclass

from billing.addon_catalog import effective_quantity
from service.addons.catalog import offered
from service.addons.records import Addon
from service.runtime.context import Services
from service.workspaces.records import Workspace


@dataclass(frozen=True)
class Offer:
    addon: Addon
    max_quantity: int


async def change_offers(svc: Services, workspace: Workspace, plan_id: str,
                        unit: str) -> list[Offer]:
    """By the name the customer sees."""
    found = await offered(svc.db, workspace.reseller_id, plan_id, unit)
    return [Offer(a, effective_quantity(a.contract())[1])
            for a in sorted(found, key=lambda a: ((a.display_name or a.name).lower(), a.id))
            if a.billing == "recurring"]
