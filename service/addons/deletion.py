"""Delete an add-on (admin): refused with 409 `addon_in_use` while anything still needs it — a
subscription holds it or a scheduled change asks for it, an open add-on or plan order contains
it, or another add-on requires it or excludes it. Deactivating is the way to stop selling it."""
from __future__ import annotations

from datetime import datetime

from billing.errors import AddonInUse
from service.addons import catalog
from service.addons import orders as addon_orders
from service.runtime.context import Services
from service.subscriptions import orders as subscription_orders
from service.subscriptions import state as subscription_state


async def delete_addon(svc: Services, addon_id: str, now: datetime) -> None:
    addon = await catalog.get_addon(svc, addon_id)
    users = await in_use(svc, addon_id)
    if users:
        raise AddonInUse("The add-on is in use; deactivate it instead", details=users)
    await catalog.remove(svc, addon, now)


async def in_use(svc: Services, addon_id: str) -> dict:
    """Who still needs the add-on: {subscriptions: n, open_orders: n, referenced_by: [ids]}."""
    subscriptions = await subscription_state.holding_addon(svc, addon_id)
    orders = [*await addon_orders.open_with_addon(svc, addon_id),
              *await subscription_orders.open_with_addon(svc, addon_id)]
    refs = await catalog.referring_to(svc, addon_id)
    found = {"subscriptions": len(subscriptions), "open_orders": len(orders),
             "referenced_by": refs}
    return found if subscriptions or orders or refs else {}
