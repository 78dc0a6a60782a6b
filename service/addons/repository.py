"""The `addons` and `addon_orders` collections: the only code that issues commands on them. They
hand out `Addon` (with the `AddonTerms` the pricing rules read) and `AddonOrder` records
(service/addons/records.py) and turn them back into documents.

An add-on document is the contract's add-on shape (§4b, `records.FIELDS`) with `_id` (`ad_…`),
`created_at`, `updated_at` and `rev`; `name` is unique (an index). An edit is a
revision-checked replace (service/mongo/revisions.swap), not a `$set`: NX-27017 stores a
datetime or a bool given to a top-level `$set` as a string or 1/0 (MongoDB keeps the type), and
the document holds datetimes and booleans.

An add-on order document (the stored schema is unchanged):

    {_id, workspace_id, action: purchase | change | renewal, unit, period_start, period_end,
     lines: [{addon_id, name, display_name, type, billing, consumption, quantity, change, units,
              amount: {amount, currency}, description: {id, en}}],
     amount: {amount, currency}, seed, status: new | pending | paid | closed,
     invoice_id, invoice_code, created_at, outcome?: applied | not_applied}

Fields an older document may lack load as their defaults: `outcome`, `metadata`, `invoice_id`,
`invoice_code`, `created_at` and a line's `display_name` as None, a line's `consumption` as
None, a currency as IDR (service/mongo/docs.money_from_doc).

Status changes are conditional `$set`s of strings only, never of a datetime or a bool
(NX-27017 stores a datetime or a bool given to a top-level `$set` as a string or 1/0; MongoDB
keeps the type): so they need no revision-checked replace (service/mongo/revisions.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from billing.addons import AddonTerms
from billing.invoices import Text
from service.addons.records import FIELDS, OPEN, Addon, AddonOrder, AddonOrderLine
from service.mongo.cursors import page
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.filters import explicit
from service.mongo.grouped import find_by
from service.mongo.once import insert_or_read
from service.mongo.revisions import swap

FILTERS = {"all": {}, "active": {"status": "active"}, "inactive": {"status": "inactive"},
           "one_time": {"billing": "one_time"}, "recurring": {"billing": "recurring"}}


def addon_to_doc(addon: Addon) -> dict:
    doc = {"_id": addon.id, **addon.contract(), "created_at": addon.created_at,
           "updated_at": addon.updated_at, "rev": addon.rev}
    if not addon.tax_exempt:          # written only when set: documents as before PPN
        del doc["tax_exempt"]
    return doc


def addon_from_doc(doc: dict) -> Addon:
    fields = {k: doc.get(k) for k in FIELDS}
    fields["tax_exempt"] = bool(fields["tax_exempt"])     # absent before PPN; 1/0 after a $set
    return Addon(id=doc["_id"], **fields,
                 created_at=doc["created_at"], updated_at=doc["updated_at"],
                 rev=doc.get("rev", 0))


def terms_from_doc(doc: dict) -> AddonTerms:
    return AddonTerms.from_data({**doc, "id": doc["_id"]})


class AddonCatalog:
    """The `addons` collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._docs = db.addons

    async def get(self, addon_id: str) -> Addon | None:
        doc = await self._docs.find_one({"_id": addon_id})
        return addon_from_doc(doc) if doc else None

    async def get_terms(self, addon_id: str) -> AddonTerms | None:
        doc = await self._docs.find_one({"_id": addon_id})
        return terms_from_doc(doc) if doc else None

    async def terms(self, ids: Iterable[str] | None = None) -> dict[str, AddonTerms]:
        """The terms of the add-ons `ids` that exist (None: of every add-on)."""
        query = {} if ids is None else {"_id": {"$in": sorted(set(ids))}}
        if ids is not None and not query["_id"]["$in"]:
            return {}                       # none asked: no command (the billing pass's roll)
        return {d["_id"]: terms_from_doc(d) async for d in self._docs.find(query)}

    async def existing(self, ids: Iterable[str]) -> list[str]:
        return [d["_id"] async for d in self._docs.find({"_id": {"$in": list(ids)}}, {"_id": 1})]

    async def insert(self, addon: Addon) -> None:
        """Raises DuplicateKeyError when the name is taken."""
        await self._docs.insert_one(addon_to_doc(addon))

    async def update(self, addon_id: str, fields: dict, now: datetime) -> Addon | None:
        """The contract `fields` replaced (revision-checked, see above); None: no such add-on.
        Raises DuplicateKeyError when the name is taken."""
        doc = await swap(self._docs, {"_id": addon_id}, {**fields, "updated_at": now})
        return addon_from_doc(doc) if doc else None

    async def delete(self, addon_id: str) -> None:
        await self._docs.delete_one({"_id": addon_id})

    async def referring_to(self, addon_id: str) -> list[str]:
        """Add-ons that require `addon_id` or are incompatible with it."""
        return [d["_id"] async for d in self._docs.find(
            {"$or": [{"requires": addon_id}, {"incompatible_with": addon_id}]}, {"_id": 1})]

    async def page(self, *, q: str | None, filter_by: str, limit: int,
                   cursor: str | None, plan: str | None = None) -> tuple[list[Addon], str | None]:
        """Newest first; `q` matches name or display name (case-insensitive substring);
        `plan`: only add-ons applicable to it ("all", or a list naming it)."""
        query: dict = dict(FILTERS[filter_by])
        ors = []
        if q:
            pattern = {"$regex": re.escape(q), "$options": "i"}
            ors.append([{"name": pattern}, {"display_name": pattern}])
        if plan:
            ors.append([{"applicable_plans": "all"}, {"applicable_plans": plan}])
        if len(ors) == 1:
            query["$or"] = ors[0]
        elif ors:
            query["$and"] = [{"$or": one} for one in ors]
        docs, next_cursor = await page(self._docs, query, limit, cursor)
        return [addon_from_doc(d) for d in docs], next_cursor

    async def active(self) -> list[tuple[Addon, AddonTerms]]:
        """The active add-ons, newest first."""
        return [(addon_from_doc(d), terms_from_doc(d))
                async for d in self._docs.find({"status": "active"}).sort("_id", -1)]


def line_to_doc(line: AddonOrderLine) -> dict:
    return {"addon_id": line.addon_id, "name": line.name, "display_name": line.display_name,
            "type": line.type, "billing": line.billing, "consumption": line.consumption,
            "quantity": line.quantity, "change": line.change, "units": line.units,
            "amount": money_to_doc(line.amount), "description": line.description.to_dict(),
            **({"tax_exempt": True} if line.tax_exempt else {})}


def line_from_doc(doc: dict) -> AddonOrderLine:
    return AddonOrderLine(doc["addon_id"], doc["name"], doc.get("display_name"), doc["type"],
                          doc["billing"], doc.get("consumption"), int(doc["quantity"]),
                          int(doc["change"]), int(doc["units"]), money_from_doc(doc["amount"]),
                          Text(**doc["description"]), bool(doc.get("tax_exempt")))


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
    if order.metadata:
        doc["metadata"] = dict(order.metadata)
    return doc


def from_doc(doc: dict) -> AddonOrder:
    return AddonOrder(doc["_id"], doc["workspace_id"], doc["action"], doc["unit"],
                      doc["period_start"], doc["period_end"], lines_from_docs(doc["lines"]),
                      money_from_doc(doc["amount"]), doc["seed"], doc["status"],
                      doc.get("invoice_id"), doc.get("invoice_code"), doc.get("created_at"),
                      doc.get("outcome"), doc.get("metadata") or {})


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
        return [from_doc(d) async for d in self._docs.find(explicit(
            {"workspace_id": workspace_id, "lines.addon_id": addon_id,
             "status": {"$in": list(OPEN)}}))]

    async def open_ids_with(self, addon_id: str, limit: int) -> list[str]:
        """Ids of the open orders (of any workspace) with a line for `addon_id`."""
        return [d["_id"] async for d in self._docs.find(
            {"lines.addon_id": addon_id, "status": {"$in": list(OPEN)}}, {"_id": 1}).limit(limit)]

    async def renewals(self, workspace_id: str, period_start: datetime) -> list[AddonOrder]:
        """The renewal orders of the period starting at `period_start`."""
        return [from_doc(d) for d in await find_by(      # grouped in a billing pass
            self._docs, "workspace_id", workspace_id,
            {"action": "renewal", "period_start": period_start})]

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

    async def paid_one_time(self, workspace_id: str, limit: int) -> list[AddonOrder]:
        """Up to `limit` paid orders of the workspace with a one-time line (any order)."""
        return [from_doc(d) async for d in self._docs.find(
            {"workspace_id": workspace_id, "status": "paid", "lines.billing": "one_time"}
        ).limit(limit)]


def _among(statuses: Iterable[str]) -> str | dict:
    statuses = list(statuses)
    return statuses[0] if len(statuses) == 1 else {"$in": statuses}
