"""Subscription orders: the invoices that pay for a plan, through the issue-3 order flow
(`service.payments.checkout.place_order` → invoice + payment; fulfilment by order kind).

An order document (`subscription_orders`) exists before its invoice, with a deterministic id
`{timing}:{ws}:{period_start}:{plan}:{period}:{n}` (n = how many earlier orders for the same
thing were closed unpaid) and the `seed` of its invoice and payment ids. Two workers issuing
the same renewal hit the same id (service.mongo.once: already issued) and place the same
invoice (idempotent by seed); a crash between the two is re-driven by the next issue.

Status: new (no invoice yet) → pending (invoice open) → paid | closed (expired, failed,
cancelled). The order kinds `subscription`, `renewal` and `plan_change` (= invoice types) are
fulfilled here: a paid next-period order is picked up by the billing run at the boundary; a
paid immediate upgrade is applied at once (its add-on lines only on the quantities they were
priced on; consumption units are credited only for the lines that applied). An order that
closes unpaid drops the scheduled change that was waiting for it. Cancelling an order whose
invoice was paid meanwhile settles it instead (`cancel_order`), so a decision taken next
sees it paid.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo


from billing import ledger_keys
from billing.invoices import InvoiceLine, Order, Text
from billing.money import Money
from billing.periods import Period, local_dates
from billing.subscriptions import Choice
from billing.tax import InvoiceTax
from billing.wallet import LedgerIntent
from service.addons.holdings import post_credits
from service.addons.orders import credit_consumption, invoice_lines
from service.addons.switch import after_switch, immediate_switch
from service.invoices.invoices import close as close_invoice, get as get_invoice
from service.invoices.taxes import order_tax
from service.invoices.records import Invoice
from service.payments.checkout import place_order
from service.runtime import ids
from service.payments.orders import settle_if_paid, settle_invoice
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.workspaces.lookup import workspace_by_id
from service.subscriptions import announce
from service.subscriptions import repository, state, unschedule
from service.subscriptions.plans import load_plans
from service.subscriptions.records import LastChange, OrderApplied, SubscriptionOrder

log = logging.getLogger("saldo.subscriptions")
OPEN = ("new", "pending")
RANK = {"paid": 3, "pending": 2, "new": 2, "closed": 1}
UNIT_TEXT = {"monthly": ("bulanan", "monthly"), "quarterly": ("triwulanan", "quarterly"),
             "yearly": ("tahunan", "yearly")}


@dataclass(frozen=True)
class OrderSpec:
    workspace_id: str
    current: Choice
    target: Choice
    covers: Period               # the period paid for (next one, or the current for upgrades)
    timing: str                  # end_of_term | immediate
    invoice_type: str
    amount: Money                # the plan line
    detail: str = ""             # e.g. "10 of 30 days" for an immediate upgrade
    addons: tuple[dict, ...] = ()  # add-on lines (service/addon_orders.line_doc), same currency


def _package(spec: OrderSpec, tz: tzinfo) -> Text:
    dates = local_dates(spec.covers, tz)
    unit_id, unit_en = UNIT_TEXT[spec.target.unit]
    extra = f", {spec.detail}" if spec.detail else ""
    return Text(f"Paket {spec.target.plan.name} ({unit_id}) {dates}{extra}",
                f"{spec.target.plan.name} plan ({unit_en}) {dates}{extra}")


def order_of(spec: OrderSpec, order_id: str, tz: tzinfo) -> Order:
    package = _package(spec, tz)
    return Order(spec.invoice_type, spec.invoice_type, package,
                 (InvoiceLine(package, 1, spec.amount), *invoice_lines(list(spec.addons))),
                 {"order_id": order_id, "workspace_id": spec.workspace_id,
                  "plan": spec.target.plan.id, "period": spec.target.unit,
                  "period_start": spec.covers.start.isoformat(), "timing": spec.timing})


async def open_with_addon(svc: Services, addon_id: str, limit: int = 100) -> list[str]:
    """Ids of the open plan orders (of any workspace) that carry `addon_id` for their period."""
    return await repository.open_with_addon(svc, addon_id, OPEN, limit)


async def orders_for(svc: Services, workspace_id: str, period_start: datetime,
                     timing: str = "end_of_term") -> list[SubscriptionOrder]:
    return await repository.orders_for(svc, workspace_id, period_start, timing)


def status_by_choice(orders: list[SubscriptionOrder]) -> dict[tuple[str, str], str]:
    """Best status per (plan, period): paid > open > closed. `new` counts as pending."""
    out: dict[tuple[str, str], str] = {}
    for o in orders:
        key, status = o.key, "pending" if o.status == "new" else o.status
        if RANK[status] > RANK.get(out.get(key, ""), 0):
            out[key] = status
    return out


async def issue(svc: Services, workspace: Workspace, spec: OrderSpec, now: datetime,
                seed: str | None = None, read: list[SubscriptionOrder] | None = None,
                retax: bool = False) -> tuple[SubscriptionOrder, dict | None, dict | None]:
    """The open or paid order for `spec` (placing its invoice if needed), or a new one.
    → (order, invoice, payment); invoice and payment are None for a paid order. `read`: the
    orders of `spec`'s period and timing as the caller just read them (None: read them).
    `retax`: an open invoice issued under another tax than the one in force now is replaced
    too (renew: what it answers is what the renewal preview showed; only for an order no
    scheduled change waits for, as cancelling it would drop that change)."""
    if read is None:
        read = await orders_for(svc, spec.workspace_id, spec.covers.start, spec.timing)
    same = [o for o in read if o.key == spec.target.key]
    live = [o for o in same if o.status != "closed"]
    if live and live[0].status == "paid":
        return live[0], None, None
    if live and (not _same_lines(live[0], spec)      # its add-ons changed since, or the tax
                 or retax and not await _same_tax(svc, live[0], spec, now)):  # a new invoice
        cancelled = await cancel_order(svc, live[0].id, now)
        if cancelled.status == "paid":              # paid meanwhile: that one stands
            return cancelled, None, None
        live, seed = [], None
    order = live[0] if live else await _insert(svc, spec, len(same),
                                               seed or ids.new_seed(now), now)
    invoice, payment = await place_order(svc, workspace, order_of(spec, order.id, svc.settings.tz),
                                         order.seed, now,
                                         fulfil_now=False)     # account credit: `fulfil_paid`
    return order, invoice, payment


async def fulfil_paid(svc: Services, invoice: Invoice | None, now: datetime) -> Invoice | None:
    """An invoice account credit paid when `issue` placed it: fulfilled once the caller saved
    the change that waits for its order (issue 11 item 3); any other invoice as it is."""
    if invoice is None or invoice.status != "paid" or invoice.settled:
        return invoice
    return await settle_invoice(svc, invoice, now)


def _same_lines(order: SubscriptionOrder, spec: OrderSpec) -> bool:
    return order.amount == spec.amount and list(order.addons) == list(spec.addons)


async def _same_tax(svc: Services, order: SubscriptionOrder, spec: OrderSpec,
                    now: datetime) -> bool:
    """Whether the order's open invoice carries the tax its lines would have if issued now."""
    if order.status != "pending" or order.invoice_id is None:
        return True
    invoice = await get_invoice(svc.db, order.invoice_id)
    taxed = await order_tax(svc, order_of(spec, order.id, svc.settings.tz), now)
    return _tax_terms(invoice.tax) == _tax_terms(taxed.tax)


def _tax_terms(tax: InvoiceTax | None) -> tuple | None:
    """What a rate change changes (the subtotal and total also count account credit)."""
    return tax and (tax.rates, tax.tax_base, tax.tax, tax.prices_include_tax)


async def _insert(svc: Services, spec: OrderSpec, n: int, seed: str,
                  now: datetime) -> SubscriptionOrder:
    order_id = (f"{spec.timing}:{spec.workspace_id}:{spec.covers.start.isoformat()}:"
                f"{spec.target.plan.id}:{spec.target.unit}:{n}")
    return await repository.insert_order(svc, SubscriptionOrder(
        order_id, spec.workspace_id, spec.timing, spec.covers, spec.target.plan.id,
        spec.target.unit, spec.current.plan.id, spec.current.unit, spec.invoice_type,
        spec.amount, seed, spec.detail, tuple(spec.addons), "new", None, None, now))


async def redrive(svc: Services, order: SubscriptionOrder, now: datetime) -> None:
    """Place the invoice of an order whose issuer died before placing it (idempotent)."""
    workspace = await workspace_by_id(svc, order.workspace_id)
    plans = await load_plans(svc.db)
    spec = OrderSpec(order.workspace_id, Choice(plans[order.from_plan], order.from_period),
                     Choice(plans[order.plan], order.period), order.covers, order.timing,
                     order.invoice_type, order.amount, order.detail, order.addons)
    await place_order(svc, workspace, order_of(spec, order.id, svc.settings.tz), order.seed, now)


async def cancel_order(svc: Services, order_id: str | None,
                       now: datetime) -> SubscriptionOrder | None:
    """Cancel an order's invoice if it is still pending; a paid one stays paid, and one whose
    invoice was paid meanwhile is settled (fulfilled) now. → the order as it is then."""
    order = await repository.get_order(svc, order_id) if order_id else None
    if not order or order.status not in OPEN:
        return order
    invoice_id = order.invoice_id or ids.invoice_id(order.seed)
    closed = await close_invoice(svc.db, invoice_id, "cancelled", now)
    if closed:
        await settle_invoice(svc, closed, now)
    else:
        await settle_if_paid(svc, invoice_id, now)
    await repository.set_closed(svc, order_id, ("new",))
    return await repository.get_order(svc, order_id)


class SubscriptionOrders:
    """The order kinds `subscription`, `renewal` and `plan_change` (see
    service/payments/orders.py)."""

    async def open(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        await repository.set_pending(svc, invoice.order.order_id, invoice.id, invoice.code)

    async def fulfil(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """A paid invoice is the truth: the order is paid whatever its status said."""
        order_id = invoice.order.order_id
        await repository.set_paid(svc, order_id, invoice.paid_at, invoice.id, invoice.code)
        order = await repository.get_order(svc, order_id)
        lines = list(order.addons)
        if order.timing == "immediate":      # credit only the add-on lines that applied
            taken = order.applied.addon_lines if order.applied else await _apply_upgrade(
                svc, order, now)
            lines = [line for line in lines if taken is None or line["addon_id"] in taken]
        await credit_consumption(svc, order.workspace_id, order_id, lines, now)
        await state.poke(svc, order.workspace_id, now)

    async def close(self, svc: Services, invoice: Invoice, now: datetime) -> None:
        """An unpaid order drops the change that waited for it; a switch to a plan that costs
        nothing (a cancel) never waits for one (orders placed before issue 9 item 6 did)."""
        order_id = invoice.order.order_id
        await repository.set_closed(svc, order_id, OPEN)
        order = await repository.get_order(svc, order_id)
        if order and order.timing == "end_of_term" and order.amount.is_zero():
            return
        await unschedule.drop_waiting_change(svc, invoice.workspace_id, order_id,
                                             invoice.status, now)


async def _apply_upgrade(svc: Services, order: SubscriptionOrder,
                         now: datetime) -> tuple[str, ...] | None:
    """Switch the plan now (if the subscription still waits for this order), then grant the
    difference of the conversation grants for the current period (key per plan and period).
    → the add-ons whose order line applied (() if the upgrade no longer applies; None: not
    recorded, by an older version)."""
    ws = order.workspace_id
    removed: list = []

    async def attempt() -> tuple[str, tuple[str, ...] | None] | None:
        sub = await state.load(svc, ws)
        last = sub.last_change
        if last and last.order_id == order.id:
            return "applied", last.addon_lines
        waiting = sub.scheduled_change
        if (waiting is None or waiting.order_id != order.id
                or sub.current.start != order.covers.start):
            return "stale", ()
        addon_changes, removed[:], taken = await immediate_switch(svc, sub, order, now)
        saved = await state.save(svc, replace(
            sub, plan=order.plan, period=order.period, scheduled_change=None,
            last_change=LastChange("applied", now, order.id, from_plan=sub.plan,
                                   addon_lines=tuple(taken)),
            **addon_changes), now)
        return ("applied", tuple(taken)) if saved else None

    outcome, taken = await state.retrying(attempt, "applying an upgrade", state.PAID_RETRIES)
    if outcome == "stale":
        log.warning("paid upgrade no longer applies; refund it", extra={"fields": {
            "order_id": order.id, "workspace_id": ws}})
        await repository.set_outcome(svc, order.id, "not_applied")
        return ()
    await after_switch(svc, ws, removed, order.id, now)
    await post_credits(svc, ws, now)
    await state.sync_workspace_plan(svc, ws, order.plan)
    await _upgrade_grant(svc, order, now)
    await announce.announce(svc, await state.load(svc, ws), "changed", order.id, now,
                            reason=order.invoice_type)
    await repository.set_applied(svc, order.id, OrderApplied(now, taken))
    return taken


async def _upgrade_grant(svc: Services, order: SubscriptionOrder, now: datetime) -> None:
    plans = await load_plans(svc.db)
    extra = plans[order.plan].grant - plans[order.from_plan].grant
    if extra.amount > 0:
        ws, start = order.workspace_id, order.covers.start
        await svc.ledger.post(ws, [LedgerIntent(
            ledger_keys.upgrade_grant(ws, start, order.plan), "grant", "conversation", extra,
            {"plan": order.plan, "period_start": start.isoformat(), "upgrade": True})], now)
