"""Add-on orders (`addon_orders`) and the `addon` order kind: an add-on is applied only when its
invoice (type `addon`) is paid, exactly once, however often the payment is reported.

An order (`AddonOrder`, service/addons/records.py; stored by service/addons/repository.py)
covers the rest of the current period, or the next one for a renewal. Purchases and changes
get the id `ao_<seed>` (the Idempotency-Key's seed: a retry finds the same
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
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from billing import ledger_keys
from billing.addon_orders import AddonCharge, line_parts
from billing.addons import AddonTerms, Holding
from billing.invoices import InvoiceLine, Order, Text
from billing.wallet import LedgerIntent
from billing.money import Money
from service.addons.holdings import changes, emit_change, subscribed
from service.addons.records import OPEN, AddonOrder, AddonOrderLine
from service.addons.repository import AddonOrderRepository, line_to_doc, lines_from_docs
from service.invoices.invoices import close as close_invoice
from service.invoices.records import Invoice, Payment
from service.payments.checkout import place_order
from service.payments.orders import settle_if_paid, settle_invoice
from service.runtime import ids
from service.runtime.context import Services
from service.subscriptions import state
from service.workspaces.records import Workspace

log = logging.getLogger("saldo.addons")
KIND = "addon"
STALE = {"stale": "is for a period that has ended",
         "changed": "was priced on a quantity the add-on no longer has"}


def repository(svc: Services) -> AddonOrderRepository:
    return AddonOrderRepository(svc.db)


def line_doc(charge: AddonCharge, addon: AddonTerms) -> dict:
    """An add-on line of a plan order (service/subscriptions/orders.py keeps its add-on lines as
    documents, in this shape: service/addons/repository.py)."""
    return line_to_doc(AddonOrderLine.of(charge, addon))


def _invoice_lines(lines: Iterable[AddonOrderLine]) -> tuple[InvoiceLine, ...]:
    return tuple(InvoiceLine(line.description, *line_parts(line.amount, line.units),
                             tax_kind="addon", tax_exempt=line.tax_exempt)
                 for line in lines)


def invoice_lines(lines: list[dict]) -> tuple[InvoiceLine, ...]:
    """The invoice lines of a plan order's add-on lines (documents, see `line_doc`)."""
    return _invoice_lines(lines_from_docs(lines))


def _order(order: AddonOrder) -> Order:
    lines = _invoice_lines(order.lines)
    package = lines[0].description if len(lines) == 1 else Text(
        f"Add-on ({len(lines)} baris)", f"Add-ons ({len(lines)} lines)")
    return Order(KIND, "addon", package, lines,
                 {"order_id": order.id, "workspace_id": order.workspace_id,
                  "action": order.action})


async def issue(svc: Services, workspace: Workspace, order: AddonOrder,
                now: datetime) -> tuple[AddonOrder, Invoice | None, Payment | None]:
    """Insert the order (once: its id) and place its invoice; an order that costs nothing
    is fulfilled at once. → (order, invoice, payment)."""
    order = await repository(svc).insert(order)
    return await place(svc, workspace, order, now)


async def place(svc: Services, workspace: Workspace, order: AddonOrder,
                now: datetime) -> tuple[AddonOrder, Invoice | None, Payment | None]:
    """Place the invoice of a stored order (idempotent by its seed): also how the billing run
    re-drives a renewal order left `new` because placing failed (no provider, a crash)."""
    if order.amount.is_zero():
        await repository(svc).set_status(order.id, "paid", if_in=("new",))
        await fulfil_order(svc, order, now)
        return order, None, None
    invoice, payment = await place_order(svc, workspace, _order(order), order.seed, now)
    return await repository(svc).get(order.id) or order, invoice, payment


async def cancel(svc: Services, order: AddonOrder, now: datetime) -> None:
    """Make an open order unpayable (its invoice is cancelled); a paid one stays paid."""
    if not order.is_open:
        return
    closed = await close_invoice(svc.db, order.invoice_id or ids.invoice_id(order.seed),
                                 "cancelled", now)
    if closed:
        await settle_invoice(svc, closed, now)
    await repository(svc).set_status(order.id, "closed", if_in=("new",))


async def close_or_settle(svc: Services, order: AddonOrder, now: datetime) -> None:
    """Before a boundary counts what is paid: an open order becomes unpayable, or, if its
    invoice was paid meanwhile (fulfilment not run yet), it is settled as paid first."""
    if not order.is_open:
        return
    await cancel(svc, order, now)
    await settle_if_paid(svc, order.invoice_id or ids.invoice_id(order.seed), now)


async def get(svc: Services, order_id: str) -> AddonOrder | None:
    return await repository(svc).get(order_id)


async def open_orders(svc: Services, workspace_id: str, addon_id: str) -> list[AddonOrder]:
    return await repository(svc).open_with(workspace_id, addon_id)


async def one_time_purchases(svc: Services, workspace_id: str,
                             limit: int = 200) -> list[AddonOrder]:
    """The workspace's paid orders of one-time add-ons, newest first (sorted here: up to
    `limit` are read)."""
    found = await repository(svc).paid_one_time(workspace_id, limit)
    return sorted(found, key=lambda o: (o.created_at is not None, o.created_at or 0, o.id),
                  reverse=True)


async def open_with_addon(svc: Services, addon_id: str, limit: int = 100) -> list[str]:
    """Ids of the open orders (of any workspace) with a line for `addon_id`."""
    return await repository(svc).open_ids_with(addon_id, limit)


async def renewals_for(svc: Services, workspace_id: str,
                       period_start: datetime) -> list[AddonOrder]:
    return await repository(svc).renewals(workspace_id, period_start)


async def _credit_lines(svc: Services, workspace_id: str, order_id: str,
                        lines: Iterable[AddonOrderLine], now: datetime) -> None:
    """Credit the wallet for the consumption add-ons of a paid order, once per order and line."""
    intents = [LedgerIntent(ledger_keys.addon_credit(order_id, line.addon_id), "addon_credit",
                            line.credit_balance, Money.idr(line.units * line.consumption),
                            {"order_id": order_id, "addon_id": line.addon_id,
                             "units": line.units})
               for line in lines if line.credit_balance and line.units > 0]
    await svc.ledger.post(workspace_id, intents, now)


async def credit_consumption(svc: Services, workspace_id: str, order_id: str,
                             lines: list[dict], now: datetime) -> None:
    """`_credit_lines` for the add-on lines (documents) of a paid plan order."""
    await _credit_lines(svc, workspace_id, order_id, lines_from_docs(lines), now)


async def fulfil_order(svc: Services, order: AddonOrder, now: datetime) -> None:
    if order.action == "renewal":
        await state.poke(svc, order.workspace_id, now)
    elif not order.outcome:
        outcome = await _apply(svc, order, now)
        if outcome in STALE:
            log.warning("paid add-on order %s; refund it", STALE[outcome],
                        extra={"fields": {"order_id": order.id,
                                          "workspace_id": order.workspace_id}})
        order = replace(order, outcome="not_applied" if outcome in STALE else "applied")
        await repository(svc).set_outcome(order.id, order.outcome)
    if order.outcome != "not_applied":        # refunded, not delivered: no credit
        await _credit_lines(svc, order.workspace_id, order.id, order.lines, now)


def _applied(holdings: dict[str, Holding], lines: Iterable[AddonOrderLine]) -> dict[str, Holding]:
    out = dict(holdings)
    for line in lines:
        if line.held:
            old = out.get(line.addon_id)
            quantity = line.quantity if line.recurring else (
                (old.quantity if old else 0) + line.change)
            out[line.addon_id] = Holding(line.addon_id, quantity)
    return out


async def _apply(svc: Services, order: AddonOrder, now: datetime) -> str:
    ws = order.workspace_id

    async def attempt() -> tuple[str, dict] | None:
        doc = await state.load(svc, ws)
        sub = subscribed(doc)
        if order.id in sub.orders_applied:
            return "applied", {}
        if order.recurring and sub.period.start != order.period_start:
            return "stale", {}
        before = sub.holdings
        if not all(line.priced_on(before.get(line.addon_id)) for line in order.lines):
            return "changed", {}
        new = changes(sub, _applied(before, order.lines), now, applied=order.id)
        return ("done", before) if await state.save(svc, replace(doc, **new), now) else None
    outcome, before = await state.retrying(attempt, "adding an add-on", state.PAID_RETRIES)
    if outcome == "done":
        for line in (x for x in order.lines if x.held):
            old = before.get(line.addon_id)
            new = _applied(before, [line])[line.addon_id].quantity
            await emit_change(svc, "addon_updated" if old else "addon_added", ws,
                              line.addon_id, new, old.quantity if old else 0, order.id,
                              now, addon=line.name, order_id=order.id)
    return outcome


class AddonOrders:
    """The `addon` order kind (see service/payments/orders.py)."""

    async def open(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        await repository(svc).invoiced(invoice.order.order_id, invoice.id, invoice.code)

    async def fulfil(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        order = await repository(svc).paid(invoice.order.order_id, invoice.id, invoice.code)
        await fulfil_order(svc, order, now)

    async def close(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """A renewal that will not be paid: the billing run issues another (or removes the
        add-on at the boundary)."""
        await repository(svc).set_status(invoice.order.order_id, "closed", if_in=OPEN)
        if invoice.order.action == "renewal":
            await state.poke(svc, invoice.workspace_id, now)
