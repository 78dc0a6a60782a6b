"""What the subscription screen shows beyond the subscription itself (issue 11 item 6), read
only: the next renewal, its date and amount, as the renewal preview shows it (so tax included,
the same lines `…/renew` invoices), each held add-on's price for that period (its line in the
renewal), and the add-on history: one-time add-ons bought and paid, newest first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.errors import NothingToRenew
from billing.money import Money
from billing.previews import Preview
from service.addons.orders import one_time_purchases
from service.previews.previews import OrderAsked, preview
from service.runtime.context import Services
from service.workspaces.records import Workspace


@dataclass(frozen=True)
class Purchase:
    """One one-time add-on line of a paid order."""
    addon_id: str
    display_name: str
    quantity: int
    amount: Money
    invoice_code: str | None
    purchased_at: datetime | None


@dataclass(frozen=True)
class Outlook:
    renewal: Preview | None          # None: the next period costs nothing (Free)
    addon_prices: dict[str, Money]   # add-on id → its price in the next period's renewal
    purchases: tuple[Purchase, ...]


async def outlook(svc: Services, workspace: Workspace, now: datetime) -> Outlook:
    try:
        renewal: Preview | None = await preview(svc, workspace, OrderAsked("renewal"), now)
    except NothingToRenew:
        renewal = None
    prices: dict[str, Money] = {}
    for line in renewal.lines if renewal else ():
        if line.addon_id:
            prices[line.addon_id] = line.amount
    purchases = tuple(
        Purchase(line.addon_id, line.display_name or line.name, line.quantity, line.amount,
                 order.invoice_code, order.created_at)
        for order in await one_time_purchases(svc, workspace.id)
        for line in order.lines if line.billing == "one_time")
    return Outlook(renewal, prices, purchases)
