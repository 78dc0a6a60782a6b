"""The `addon_orders` collection: the only code that issues commands on it. It hands out
`AddonOrder` records (service/addons/records.py) and turns them back into documents; the stored
schema is unchanged:

    {_id, workspace_id, action: purchase | change | renewal, unit, period_start, period_end,
     lines: [{addon_id, name, display_name, type, billing, consumption, quantity, change, units,
              amount: {amount, currency}, description: {id, en}}],
     amount: {amount, currency}, seed, status: new | pending | paid | closed,
     invoice_id, invoice_code, created_at, outcome?: applied | not_applied}

Fields an older document may lack load as their defaults: `outcome`, `invoice_id`,
`invoice_code`, `created_at` and a line's `display_name` as None, a line's `consumption` as
None, a currency as IDR (service/mongo/docs.money_from_doc).

Status changes are conditional `$set`s of strings only, never of a datetime or a bool
(NX-27017 stores a datetime or a bool given to a top-level `$set` as a string or 1/0; MongoDB
keeps the type): so they need no revision-checked replace (service/mongo/revisions.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from billing.invoices import Text
from service.addons.records import OPEN, AddonOrder, AddonOrderLine
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.once import insert_or_read


def line_to_doc(line: AddonOrderLine) -> dict:
    return {"addon_id": line.addon_id, "name": line.name, "display_name": line.display_name,
            "type": line.type, "billing": line.billing, "consumption": line.consumption,
            "quantity": line.quantity, "change": line.change, "units": line.units,
            "amount": money_to_doc(line.amount), "description": line.description.to_dict()}


def line_from_doc(doc: dict) -> AddonOrderLine:
    return AddonOrderLine(doc["addon_id"], doc["name"], doc.get("display_name"), doc["type"],
                          doc["billing"], doc.get("consumption"), int(doc["quantity"]),
                          int(doc["change"]), int(doc["units"]), money_from_doc(doc["amount"]),
                          Text(**doc["description"]))


def lines_from_docs(docs: Iterable[dict] | None) -> tuple[AddonOrderLine, ...]:
    """The add-on lines of an order document (also those a plan order carries in its `addons`,
    service/subscriptions/orders.py)."""
    return tuple(line_from_doc(d) for d in docs or ())


def to_doc(order: AddonOrder) -> dict:
    doc = {"_id": order.id, "workspace_id": order.workspace_id, "action": order.action,
           "unit": order.unit, "period_start": order.period_start,
           "period_end": order.period_end, "lines": [line_to_doc(x) for x in order.lines],
           "amount": money_to_doc(order.amount), "seed": order.seed, "status": order.status,
           "invoice_id": order.invoice_id, "invoice_code": order.invoice_code,
           "created_at": order.created_at}
    if order.outcome is not None:
        doc["outcome"] = order.outcome
    return doc


def from_doc(doc: dict) -> AddonOrder:
    return AddonOrder(doc["_id"], doc["workspace_id"], doc["action"], doc["unit"],
                      doc["period_start"], doc["period_end"], lines_from_docs(doc["lines"]),
                      money_from_doc(doc["amount"]), doc["seed"], doc["status"],
                      doc.get("invoice_id"), doc.get("invoice_code"), doc.get("created_at"),
                      doc.get("outcome"))


class AddonOrderRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._docs = db.addon_orders

    async def insert(self, order: AddonOrder) -> AddonOrder:
        """`order`, inserted; or the stored one with its id (a retry, a concurrent request)."""
        return from_doc(await insert_or_read(self._docs, to_doc(order)))

    async def get(self, order_id: str) -> AddonOrder | None:
        doc = await self._docs.find_one({"_id": order_id})
        return from_doc(doc) if doc else None

    async def open_with(self, workspace_id: str, addon_id: str) -> list[AddonOrder]:
        """The workspace's open orders with a line for `addon_id`."""
        return [from_doc(d) async for d in self._docs.find(
            {"workspace_id": workspace_id, "lines.addon_id": addon_id,
             "status": {"$in": list(OPEN)}})]

    async def open_ids_with(self, addon_id: str, limit: int) -> list[str]:
        """Ids of the open orders (of any workspace) with a line for `addon_id`."""
        return [d["_id"] async for d in self._docs.find(
            {"lines.addon_id": addon_id, "status": {"$in": list(OPEN)}}, {"_id": 1}).limit(limit)]

    async def renewals(self, workspace_id: str, period_start: datetime) -> list[AddonOrder]:
        """The renewal orders of the period starting at `period_start`."""
        return [from_doc(d) async for d in self._docs.find(
            {"workspace_id": workspace_id, "action": "renewal", "period_start": period_start})]

    async def set_status(self, order_id: str, status: str, *, if_in: Iterable[str]) -> None:
        """→ `status`, if the order's status is one of `if_in` (a string `$set`, see above)."""
        await self._docs.update_one({"_id": order_id, "status": _among(if_in)},
                                    {"$set": {"status": status}})

    async def invoiced(self, order_id: str, invoice_id: str, invoice_code: str | None) -> None:
        """new → pending: its invoice is placed."""
        await self._docs.update_one({"_id": order_id, "status": "new"}, {"$set": {
            "status": "pending", "invoice_id": invoice_id, "invoice_code": invoice_code}})

    async def paid(self, order_id: str, invoice_id: str,
                   invoice_code: str | None) -> AddonOrder | None:
        """→ paid (with the invoice that paid it), unless it is already; → the order."""
        await self._docs.update_one({"_id": order_id, "status": {"$ne": "paid"}}, {"$set": {
            "status": "paid", "invoice_id": invoice_id, "invoice_code": invoice_code}})
        return await self.get(order_id)

    async def set_outcome(self, order_id: str, outcome: str) -> None:
        await self._docs.update_one({"_id": order_id}, {"$set": {"outcome": outcome}})


def _among(statuses: Iterable[str]) -> str | dict:
    statuses = list(statuses)
    return statuses[0] if len(statuses) == 1 else {"$in": statuses}
