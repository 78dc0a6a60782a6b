"""Top-ups: order one (invoice + payment), and the `topup` order kind that credits the wallet
once the invoice is paid. A top-up document mirrors its invoice: pending → paid | expired |
failed (| cancelled)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from billing.money import Money
from billing.topups import TopupLimit, check_topup, topup_order
from billing.wallet import LedgerIntent
from service.invoices import invoices
from service.mongo.events import emit
from service.mongo.revisions import swap
from service.payments.checkout import place_order
from service.runtime.context import Services
from service.runtime.settings import Settings
from service.workspaces.records import Workspace


@dataclass(frozen=True)
class PlacedTopup:
    topup: dict
    invoice: dict
    payment: dict


def limits(settings: Settings) -> dict[str, TopupLimit]:
    return {"conversation": TopupLimit(Money.idr(settings.topup_conversation_min),
                                       Money.idr(settings.topup_conversation_max)),
            "broadcast": TopupLimit(Money.idr(settings.topup_broadcast_min),
                                    Money.idr(settings.topup_broadcast_max))}


async def order_topup(svc: Services, workspace: Workspace, balance: str, amount: Money,
                      seed: str) -> PlacedTopup:
    """Order a top-up: validated, invoiced (pending, numbered), payable at the checkout URL.
    The balance does not change until the payment succeeds."""
    check_topup(balance, amount, limits(svc.settings))
    order = topup_order(f"top_{seed}", balance, amount)
    invoice, payment = await place_order(svc, workspace, order, seed)
    topup = await svc.db.topups.find_one({"_id": order.reference["topup_id"]})
    return PlacedTopup(topup, invoice, payment)


async def list_topups(db: AsyncDatabase, workspace_id: str, *, limit: int,
                      cursor: str | None) -> tuple[list[dict], str | None]:
    return await invoices.page(db.topups, {"workspace_id": workspace_id}, limit, cursor)


def _event_data(topup: dict) -> dict:
    return {"balance": topup["balance"], "amount": dict(topup["amount"]),
            "invoice_code": topup["invoice_code"], "status": topup["status"]}


class TopupOrders:
    """The `topup` order kind (see service/payments/orders.py)."""

    async def open(self, svc: Services, invoice: dict, now: datetime) -> None:
        ref = invoice["order"]
        await svc.db.topups.update_one({"_id": ref["topup_id"]}, {"$setOnInsert": {
            "workspace_id": invoice["workspace_id"], "balance": ref["balance"],
            "amount": dict(invoice["amount"]), "status": "pending", "invoice_id": invoice["_id"],
            "invoice_code": invoice["code"], "payment_id": None,
            "created_at": invoice["requested_at"], "paid_at": None, "rev": 0}}, upsert=True)

    async def fulfil(self, svc: Services, invoice: dict, now: datetime) -> None:
        """Credit `purchased` of the balance (arrears first) under the key `topup:<id>`."""
        ref = invoice["order"]
        intent = LedgerIntent(f"topup:{ref['topup_id']}", "topup", ref["balance"],
                              invoices.amount_of(invoice),
                              {"topup_id": ref["topup_id"], "invoice_code": invoice["code"],
                               "payment_id": invoice["payment_id"]})
        await svc.ledger.post(invoice["workspace_id"], [intent], now)
        await swap(svc.db.topups, {"_id": ref["topup_id"], "status": "pending"},
                   {"status": "paid", "paid_at": invoice["paid_at"],
                    "payment_id": invoice["payment_id"]})
        topup = await svc.db.topups.find_one({"_id": ref["topup_id"]})
        await emit(svc.db, "topup.completed", topup["_id"], topup["workspace_id"],
                   _event_data(topup), now)

    async def close(self, svc: Services, invoice: dict, now: datetime) -> None:
        ref = invoice["order"]
        await swap(svc.db.topups, {"_id": ref["topup_id"], "status": "pending"},
                   {"status": invoice["status"], "closed_at": now})
        topup = await svc.db.topups.find_one({"_id": ref["topup_id"]})
        await emit(svc.db, f"topup.{invoice['status']}", topup["_id"], topup["workspace_id"],
                   _event_data(topup), now)
