"""Top-ups: order one (invoice + payment), and the `topup` order kind that credits the wallet
once the invoice is paid. A top-up document mirrors its invoice: pending → paid | expired |
failed (| cancelled)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing import ledger_keys
from billing.errors import NotFound
from billing.invoices import Order
from billing.money import Money
from billing.topups import TopupLimit, check_topup, topup_order
from billing.wallet import LedgerIntent
from service.runtime import ids
from service.invoices import invoices
from service.invoices.records import Invoice, Payment
from service.events import shapes
from service.events.emit import emit
from service.payments import payments
from service.payments.checkout import place_order
from service.runtime.context import Services
from service.runtime.settings import Settings
from service.topups.repository import Topup, Topups
from service.workspaces.records import Workspace


@dataclass(frozen=True)
class PlacedTopup:
    topup: Topup
    invoice: Invoice
    payment: Payment


def topup_limits(svc: Services) -> dict[str, TopupLimit]:
    """Each balance's smallest and largest top-up (SALDO_TOPUP_*), as `order_topup` checks."""
    return limits(svc.settings)


def limits(settings: Settings) -> dict[str, TopupLimit]:
    return {"conversation": TopupLimit(Money.idr(settings.topup_conversation_min),
                                       Money.idr(settings.topup_conversation_max)),
            "broadcast": TopupLimit(Money.idr(settings.topup_broadcast_min),
                                    Money.idr(settings.topup_broadcast_max))}


def price_topup(svc: Services, balance: str, amount: Money, topup_id: str) -> Order:
    """The top-up's order, checked, as `order_topup` places it (and previews show it)."""
    check_topup(balance, amount, limits(svc.settings))
    return topup_order(topup_id, balance, amount)


async def order_topup(svc: Services, workspace: Workspace, balance: str, amount: Money,
                      seed: str, now: datetime) -> PlacedTopup:
    """Order a top-up: validated, invoiced (pending, numbered), payable at the checkout URL.
    The balance does not change until the payment succeeds. Placing the order opens it
    (`TopupOrders.open` writes the top-up, derived from its invoice): it is not read back."""
    order = price_topup(svc, balance, amount, ids.topup_id(seed))
    invoice, payment = await place_order(svc, workspace, order, seed, now)
    topup = Topup.of_invoice(invoice)
    if invoice.status != "pending":   # a resumed order (same seed) whose invoice moved on
        topup = await Topups(svc.db).get(topup.id) or topup
    return PlacedTopup(topup, invoice, payment)


async def list_topups(svc: Services, workspace_id: str, *, limit: int,
                      cursor: str | None) -> tuple[list[Topup], str | None]:
    return await Topups(svc.db).page(workspace_id, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class TopupView:
    """A top-up with its invoice (the amount paid, with tax) and its payment (None when account
    credit paid it: no payment page)."""
    topup: Topup
    invoice: Invoice
    payment: Payment | None


async def find_topup(svc: Services, workspace_id: str, topup_id: str) -> TopupView:
    """One of the workspace's top-ups; another workspace's is NotFound, as a missing one."""
    topup = await Topups(svc.db).get(topup_id)
    if topup is None or topup.workspace_id != workspace_id:
        raise NotFound("Top-up not found")
    invoice = await invoices.get(svc.db, topup.invoice_id)
    return TopupView(topup, invoice, await payments.find(svc.db, invoice.payment_id))


class TopupOrders:
    """The `topup` order kind (see service/payments/orders.py)."""

    async def open(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """Write the top-up, once (the ordering request, or the sweep if that request died).

        Here, not in `order_topup`, on purpose: every field of a pending top-up derives from
        its invoice, and opening is the step the sweep re-runs for an invoice a crash left
        unsettled, so no invoice is ever without its top-up and no top-up without its invoice.
        `order_topup` builds the same record from the invoice instead of reading it back."""
        await Topups(svc.db).insert(Topup.of_invoice(invoice))

    async def fulfil(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """Credit `purchased` of the balance (arrears first) under the key `topup:<id>`."""
        pending = Topup.of_invoice(invoice)
        intent = LedgerIntent(ledger_keys.topup(pending.id), "topup", pending.balance, pending.amount,
                              {"topup_id": pending.id, "invoice_code": invoice.code,
                               "payment_id": invoice.payment_id})
        await svc.ledger.post(invoice.workspace_id, [intent], now)
        await self._left(svc, pending, "topup.completed",
                         dict(status="paid", paid_at=invoice.paid_at,
                              payment_id=invoice.payment_id), now)

    async def close(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        await self._left(svc, Topup.of_invoice(invoice), f"topup.{invoice.status}",
                         dict(status=invoice.status, closed_at=now), now)

    @staticmethod
    async def _left(svc: Services, pending: Topup, event: str, changes: dict,
                    now: datetime) -> None:
        topup = await Topups(svc.db).leave_pending(pending, **changes) or \
            replace(pending, **changes)
        await emit(svc.db, event, topup.id, topup.workspace_id, shapes.topup(topup), now)
