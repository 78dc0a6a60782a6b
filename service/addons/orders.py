"""Add-on orders (`addon_orders`) and the `addon` order kind: an add-on is applied only when its
invoice (type `addon`) is paid, exactly once, however often the payment is reported.

An order: {_id, workspace_id, action: purchase | change | renewal, unit, period_start,
period_end (what it covers: the rest of the current period, or the next one for a renewal),
lines: [{addon_id, name, display_name, type, billing, consumption, quantity, change, units,
amount, description}], amount, seed, status: new | pending | paid | closed, invoice_id, …}.
Purchases and changes get `_id` `ao_<seed>` (the Idempotency-Key's seed: a retry finds the same
order); renewals `addon_renewal:<ws>:<period start>:<currency>:<n>`.

Fulfilment (`fulfil_order`), each step idempotent and re-driven by the payments sweep while
the invoice is not settled:
1. purchase | change: the holdings take the lines' quantities (guarded by the order id in
   `addon_orders_applied`, in the same versioned replace). A recurring order for a period that
   has ended meanwhile, or whose add-on no longer has the units it was priced on (a line for
   `quantity` units with `change` is applied only on `quantity - change` held: a concurrent
   decrease or purchase came first), is not applied (logged for a refund, `outcome:
   not_applied`). One-time consumption add-ons are not held: their credit is all they give;
2. consumption add-ons credit `units x consumption` rupiah to the purchased bucket of their
   balance under the key `addon_credit:<order id>:<addon id>` (arrears first), unless the
   order was not applied;
3. renewal: the billing run is asked to look at the subscription (it may roll over now).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime


from billing import ledger_keys
from billing.addon_orders import AddonCharge, line_parts
from billing.addons import CREDIT_BALANCE, AddonTerms, Holding
from billing.invoices import InvoiceLine, Order, Text
from billing.money import Money
from billing.wallet import LedgerIntent
from service.runtime import ids
from service.subscriptions import state
from service.addons.holdings import (APPLIED_KEPT, emit_change, holdings_doc, holdings_of,
                                    priced_on)
from service.invoices.invoices import close as close_invoice
from service.mongo.docs import money_from_doc, money_to_doc
from service.mongo.once import insert_or_read
from service.payments.checkout import place_order
from service.payments.orders import settle_if_paid, settle_invoice
from service.runtime.context import Services
from service.workspaces.records import Workspace

log = logging.getLogger("saldo.addons")
KIND = "addon"
OPEN = ("new", "pending")
STALE = {"stale": "is for a period that has ended",
         "changed": "was priced on a quantity the add-on no longer has"}


def line_doc(charge: AddonCharge, addon: AddonTerms) -> dict:
    return {"addon_id": addon.id, "name": addon.name, "display_name": addon.display_name,
            "type": addon.type, "billing": addon.billing, "consumption": addon.consumption,
            "quantity": charge.quantity, "change": charge.change, "units": charge.units,
            "amount": money_to_doc(charge.amount), "description": charge.description.to_dict()}


def order_doc(order_id: str, workspace_id: str, action: str, unit: str, start: datetime,
              end: datetime, lines: list[dict], seed: str, now: datetime) -> dict:
    total = Money.zero(lines[0]["amount"]["currency"])
    for line in lines:
        total = total + money_from_doc(line["amount"])
    return {"_id": order_id, "workspace_id": workspace_id, "action": action, "unit": unit,
            "period_start": start, "period_end": end, "lines": lines,
            "amount": money_to_doc(total), "seed": seed, "status": "new", "invoice_id": None,
            "invoice_code": None, "created_at": now}


def invoice_lines(lines: list[dict]) -> tuple[InvoiceLine, ...]:
    return tuple(InvoiceLine(Text(**line["description"]),
                             *line_parts(money_from_doc(line["amount"]), line["units"]))
                 for line in lines)


def _order(doc: dict) -> Order:
    lines = invoice_lines(doc["lines"])
    package = lines[0].description if len(lines) == 1 else Text(
        f"Add-on ({len(lines)} baris)", f"Add-ons ({len(lines)} lines)")
    return Order(KIND, "addon", package, lines,
                 {"order_id": doc["_id"], "workspace_id": doc["workspace_id"],
                  "action": doc["action"]})


async def issue(svc: Services, workspace: Workspace, doc: dict,
                now: datetime) -> tuple[dict, dict | None, dict | None]:
    """Insert the order (once: its `_id`) and place its invoice; an order that costs nothing
    is fulfilled at once. → (order, invoice, payment)."""
    doc = await insert_or_read(svc.db.addon_orders, doc)
    return await place(svc, workspace, doc, now)


async def place(svc: Services, workspace: Workspace, doc: dict,
                now: datetime) -> tuple[dict, dict | None, dict | None]:
    """Place the invoice of a stored order (idempotent by its seed): also how the billing run
    re-drives a renewal order left `new` because placing failed (no provider, a crash)."""
    if money_from_doc(doc["amount"]).is_zero():
        await svc.db.addon_orders.update_one({"_id": doc["_id"], "status": "new"},
                                             {"$set": {"status": "paid"}})
        await fulfil_order(svc, doc, now)
        return doc, None, None
    invoice, payment = await place_order(svc, workspace, _order(doc), doc["seed"], now)
    return await svc.db.addon_orders.find_one({"_id": doc["_id"]}), invoice, payment


async def cancel(svc: Services, order: dict, now: datetime) -> None:
    """Make an open order unpayable (its invoice is cancelled); a paid one stays paid."""
    if order["status"] not in OPEN:
        return
    closed = await close_invoice(svc.db, order.get("invoice_id") or ids.invoice_id(order["seed"]),
                                 "cancelled", now)
    if closed:
        await settle_invoice(svc, closed, now)
    await svc.db.addon_orders.update_one({"_id": order["_id"], "status": "new"},
                                         {"$set": {"status": "closed"}})


async def close_or_settle(svc: Services, order: dict, now: datetime) -> None:
    """Before a boundary counts what is paid: an open order becomes unpayable, or, if its
    invoice was paid meanwhile (fulfilment not run yet), it is settled as paid first."""
    if order["status"] not in OPEN:
        return
    await cancel(svc, order, now)
    await settle_if_paid(svc, order.get("invoice_id") or ids.invoice_id(order["seed"]), now)


async def get(svc: Services, order_id: str) -> dict | None:
    return await svc.db.addon_orders.find_one({"_id": order_id})


async def open_orders(svc: Services, workspace_id: str, addon_id: str) -> list[dict]:
    return [o async for o in svc.db.addon_orders.find(
        {"workspace_id": workspace_id, "lines.addon_id": addon_id,
         "status": {"$in": list(OPEN)}})]


async def open_with_addon(svc: Services, addon_id: str, limit: int = 100) -> list[str]:
    """Ids of the open orders (of any workspace) with a line for `addon_id`."""
    return [d["_id"] async for d in svc.db.addon_orders.find(
        {"lines.addon_id": addon_id, "status": {"$in": list(OPEN)}}, {"_id": 1}).limit(limit)]


async def renewals_for(svc: Services, workspace_id: str, period_start: datetime) -> list[dict]:
    return [o async for o in svc.db.addon_orders.find(
        {"workspace_id": workspace_id, "action": "renewal", "period_start": period_start})]


async def credit_consumption(svc: Services, workspace_id: str, order_id: str,
                             lines: list[dict], now: datetime) -> None:
    """Credit the wallet for the consumption add-ons of a paid order, once per order and line."""
    intents = [LedgerIntent(ledger_keys.addon_credit(order_id, line["addon_id"]), "addon_credit",
                            CREDIT_BALANCE[line["type"]],
                            Money.idr(line["units"] * line["consumption"]),
                            {"order_id": order_id, "addon_id": line["addon_id"],
                             "units": line["units"]})
               for line in lines if line["type"] in CREDIT_BALANCE and line["units"] > 0]
    await svc.ledger.post(workspace_id, intents, now)


async def fulfil_order(svc: Services, order: dict, now: datetime) -> None:
    if order["action"] == "renewal":
        await state.poke(svc, order["workspace_id"], now)
    elif not order.get("outcome"):
        outcome = await _apply(svc, order, now)
        if outcome in STALE:
            log.warning("paid add-on order %s; refund it", STALE[outcome],
                        extra={"fields": {"order_id": order["_id"],
                                          "workspace_id": order["workspace_id"]}})
        order = {**order, "outcome": "not_applied" if outcome in STALE else "applied"}
        await svc.db.addon_orders.update_one({"_id": order["_id"]}, {"$set": {
            "outcome": order["outcome"]}})
    if order.get("outcome") != "not_applied":        # refunded, not delivered: no credit
        await credit_consumption(svc, order["workspace_id"], order["_id"], order["lines"], now)


def _held(line: dict) -> bool:
    """A one-time consumption add-on is used up by its credit: nothing to hold."""
    return line["billing"] == "recurring" or line["type"] not in CREDIT_BALANCE


def _applied(holdings: dict[str, Holding], lines: list[dict]) -> dict[str, Holding]:
    out = dict(holdings)
    for line in filter(_held, lines):
        old = out.get(line["addon_id"])
        quantity = line["quantity"] if line["billing"] == "recurring" else (
            (old.quantity if old else 0) + line["change"])
        out[line["addon_id"]] = Holding(line["addon_id"], quantity)
    return out


async def _apply(svc: Services, order: dict, now: datetime) -> str:
    ws = order["workspace_id"]

    async def attempt() -> tuple[str, dict] | None:
        doc = await state.load(svc, ws)
        applied = doc.addon_orders_applied
        if order["_id"] in applied:
            return "applied", {}
        recurring = any(line["billing"] == "recurring" for line in order["lines"])
        if recurring and doc.current.start != order["period_start"]:
            return "stale", {}
        before = holdings_of(doc)
        if not all(priced_on(before, line) for line in order["lines"]):
            return "changed", {}
        changes = {"addons": holdings_doc(_applied(before, order["lines"]), doc, now),
                   "addon_orders_applied": (*applied, order["_id"])[-APPLIED_KEPT:]}
        return ("done", before) if await state.save(svc, replace(doc, **changes), now) else None
    outcome, before = await state.retrying(attempt, "adding an add-on")
    if outcome == "done":
        for line in filter(_held, order["lines"]):
            old = before.get(line["addon_id"])
            new = _applied(before, [line])[line["addon_id"]].quantity
            await emit_change(svc, "addon_updated" if old else "addon_added", ws,
                              line["addon_id"], new, old.quantity if old else 0, order["_id"],
                              now, addon=line["name"], order_id=order["_id"])
    return outcome


class AddonOrders:
    """The `addon` order kind (see service/payments/orders.py)."""

    async def open(self, svc: Services, invoice: dict, now: datetime) -> None:
        await svc.db.addon_orders.update_one(
            {"_id": invoice["order"]["order_id"], "status": "new"},
            {"$set": {"status": "pending", "invoice_id": invoice["_id"],
                      "invoice_code": invoice["code"]}})

    async def fulfil(self, svc: Services, invoice: dict, now: datetime) -> None:
        order_id = invoice["order"]["order_id"]
        await svc.db.addon_orders.update_one(
            {"_id": order_id, "status": {"$ne": "paid"}},
            {"$set": {"status": "paid", "invoice_id": invoice["_id"],
                      "invoice_code": invoice["code"]}})
        await fulfil_order(svc, await svc.db.addon_orders.find_one({"_id": order_id}), now)

    async def close(self, svc: Services, invoice: dict, now: datetime) -> None:
        """A renewal that will not be paid: the billing run issues another (or removes the
        add-on at the boundary)."""
        await svc.db.addon_orders.update_one(
            {"_id": invoice["order"]["order_id"], "status": {"$in": list(OPEN)}},
            {"$set": {"status": "closed"}})
        if invoice["order"].get("action") == "renewal":
            await state.poke(svc, invoice["workspace_id"], now)
