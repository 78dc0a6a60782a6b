"""What a workspace may buy, as the portal's Buy Add-Ons screen shows it: the add-ons
`GET /v1/addons` offers the workspace (catalog.offered_to: active, for its plan, sold in its
billing unit, visible to its reseller or to direct customers), each with its terms and its
price for a whole period of the workspace's billing unit (AddonTerms.price, the rule every
add-on order prices with). Reads only; what an order costs now is the previews' answer."""
from __future__ import annotations

from dataclasses import dataclass

from billing.addons import AddonTerms
from billing.money import Money
from service.addons.catalog import catalog, get_addon, offered_to, visible_addon
from service.addons.records import Addon
from service.runtime.context import Services
from service.subscriptions import state
from service.workspaces.records import Workspace
from service.workspaces.workspaces import Principal


@dataclass(frozen=True)
class Offer:
    addon: Addon
    terms: AddonTerms
    unit: str                    # the workspace's billing unit: monthly | quarterly | yearly

    def price(self, quantity: int = 1) -> Money | None:
        """`quantity` units for a whole period, before tax; None: not sold in `unit`."""
        return self.terms.price(self.unit, quantity) if self.terms.sold_in(self.unit) else None


async def offers(svc: Services, workspace: Workspace) -> tuple[Offer, ...]:
    """Every add-on the workspace may buy now, as GET /v1/addons lists them."""
    who = Principal("workspace", workspace.id, workspace.reseller_id)
    found = await offered_to(svc, who, workspace.id)
    _, unit = await state.plan_and_unit(svc, workspace.id)
    terms = await catalog(svc.db, [a.id for a in found])
    return tuple(Offer(a, terms[a.id], unit) for a in found if a.id in terms)


async def offer(svc: Services, workspace: Workspace, addon_id: str) -> Offer:
    """One add-on the workspace may see, bought or not (a purchase says why not); one hidden
    from it is 404 `not_found`, as a purchase answers."""
    terms = await visible_addon(svc.db, workspace.reseller_id, addon_id)
    _, unit = await state.plan_and_unit(svc, workspace.id)
    return Offer(await get_addon(svc, addon_id), terms, unit)
