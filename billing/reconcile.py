"""Reconciliation beyond the ledger sum: every ledger entry must have a cause that allows it.

`check(history)` takes one workspace's ledger entries, orders, invoices, payments, add-on
holdings and rate cards (billing/reconcile_records.py) and returns every violation of:

1. Credits have one cause each (`credit_without_cause`, `credit_not_matching_cause`,
   `credited_twice`): the cause is read from the key (billing/ledger_keys.parse) and checked
   against what it names: a paid top-up for its amount and balance; a paid, applied order's
   consumption line for units x consumption; a plan grant (the key holds one per period, and an
   upgrade's one per period and plan, which needs its paid immediate plan order); a holding's
   change (from > to >= 0, at most one credit per holding revision: two changes computed from
   one revision are the double-credit race); a renewal paid for more units than kept.
2. Per add-on and period, what decreases, stops and overpaid renewals credited is at most what
   was paid for that add-on and period (`refund_above_paid`); a credit counts in the latest paid
   period of its add-on that began before it was posted (an overpaid renewal: its key's period).
   The prorated credit of the units given up never exceeds what they cost, so this bound holds
   for every legitimate history. Holdings never go below zero (`negative_quantity`).
3. A paid invoice has its one succeeded payment, for its amount (`paid_invoice_without_payment`);
   no payment pays two invoices (`payment_applied_twice`) or succeeds without paying its own
   (`payment_not_applied`); a fulfilled order belongs to a paid invoice
   (`fulfilled_order_without_paid_invoice`; an order that cost nothing has none).
4. A charge names one wamid (its key's) and its price is the rate card's for its category
   (`charge_mismatch`). Saldo keeps no history of rate cards: `rate_cards` holds every card that
   may have been in force (the plans the workspace had, with and without its overrides).
5. Expiries remove only granted credit, never more than was granted and not expired before, in
   ledger order (`expiry_above_grant`).

6. Account credit (billing/reconcile_credit.py): balance = its ledger, credits caused by a
   holding transition, each debit applied to one invoice once, returns only for closed ones.

Nothing here repairs anything: violations are reported (service/reconcile/).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Iterable

from billing import ledger_keys
from billing.addons import CREDIT_BALANCE
from billing.rates import balance_for
from billing.reconcile_credit import account_credit, as_postings
from billing.reconcile_records import History, OrderRecord, Posting, Violation
from billing.wallet import CREDIT_KINDS

ADDON_CREDITS = ("addon_credit", "addon_refund", "addon_excess")


def check(history: History) -> list[Violation]:
    credits = replace(history, postings=(*history.postings, *as_postings(history)))
    return [*credit_causes(credits), *refunds_within_paid(credits), *quantities(history),
            *invoices_and_payments(history), *charges(history), *expiries(history),
            *account_credit(history)]


def _problem(h: History, p: Posting, rule: str, message: str, **objects) -> Violation:
    return Violation(rule, message, h.workspace_id, (p.key,), **objects)


def credit_causes(h: History) -> list[Violation]:
    orders = {o.id: o for o in h.orders}
    paid_invoices = {i.id for i in h.invoices if i.status == "paid"}
    out, by_revision = [], defaultdict(list)
    for p in h.postings:
        if p.kind not in CREDIT_KINDS:
            continue
        cause = ledger_keys.parse(p.key)
        found = _credit_problem(h, p, cause, orders, paid_invoices)
        if found:
            out.append(found)
        if cause.kind == "addon_refund" and cause.rev is not None:
            by_revision[(cause.addon_id, cause.rev)].append(p.key)
    for (addon_id, rev), keys in sorted(by_revision.items()):
        if len(keys) > 1:
            out.append(Violation("credited_twice", f"{len(keys)} credits for changes of one "
                                 f"holding revision (r{rev})", h.workspace_id, tuple(keys),
                                 addon_id=addon_id))
    return out


def _credit_problem(h: History, p: Posting, cause: ledger_keys.Cause,
                    orders: dict[str, OrderRecord], paid: set[str]) -> Violation | None:
    expected_kind = {"topup": "topup", "grant": "grant", "upgrade_grant": "grant",
                     **{k: "addon_credit" for k in ADDON_CREDITS}}.get(cause.kind)
    if expected_kind is None or expected_kind != p.kind:
        return _problem(h, p, "credit_without_cause", "a credit whose key names no cause of "
                        f"a {p.kind} credit")
    if cause.workspace_id is not None and cause.workspace_id != h.workspace_id:
        return _problem(h, p, "credit_without_cause", "the key names another workspace")
    if cause.kind == "topup":
        return _topup_problem(h, p, orders.get(cause.ref or ""), paid)
    if cause.kind == "addon_credit":
        return _consumption_problem(h, p, orders.get(cause.ref or ""), cause.addon_id)
    if cause.kind == "grant" and p.balance != "conversation":
        return _problem(h, p, "credit_not_matching_cause", "a plan grant is conversation credit")
    if cause.kind == "upgrade_grant":
        return _upgrade_problem(h, p, cause, h.orders)
    if cause.kind == "addon_refund":
        if cause.rev is None:
            return _problem(h, p, "credit_without_cause", "an add-on credit that names no "
                            "holding change (from, to, revision)", addon_id=cause.addon_id)
        if not cause.from_quantity > cause.to_quantity >= 0:
            return _problem(h, p, "credit_not_matching_cause", "an add-on credit for a change "
                            "that gives up no units", addon_id=cause.addon_id)
    return None


def _topup_problem(h: History, p: Posting, topup: OrderRecord | None,
                   paid: set[str]) -> Violation | None:
    if topup is None or topup.kind != "topup":
        return _problem(h, p, "credit_without_cause", "a top-up credit without its top-up")
    objects = {"order_id": topup.id, "invoice_id": topup.invoice_id}
    if topup.invoice_id not in paid:
        return _problem(h, p, "credit_not_matching_cause", "a top-up credited while its "
                        "invoice is not paid", **objects)
    if (p.amount, p.balance) != (topup.amount.amount, topup.balance):
        return _problem(h, p, "credit_not_matching_cause", f"credited {p.amount} to "
                        f"{p.balance} for a top-up of {topup.amount.amount} to {topup.balance}",
                        **objects)
    return None


def _consumption_problem(h: History, p: Posting, order: OrderRecord | None,
                         addon_id: str | None) -> Violation | None:
    if order is None or order.kind == "topup":
        return _problem(h, p, "credit_without_cause", "an add-on credit without its order",
                        addon_id=addon_id)
    objects = {"order_id": order.id, "invoice_id": order.invoice_id, "addon_id": addon_id}
    if order.status != "paid" or not order.applied:
        return _problem(h, p, "credit_not_matching_cause", f"an add-on credit for an order "
                        f"that is {order.status}" + ("" if order.applied else ", not applied"),
                        **objects)
    line = next((x for x in order.lines if x.addon_id == addon_id), None)
    if line is None or line.type not in CREDIT_BALANCE:
        return _problem(h, p, "credit_not_matching_cause", "the order has no applied "
                        "consumption line for this add-on", **objects)
    owed = line.units * line.consumption
    if (p.amount, p.balance) != (owed, CREDIT_BALANCE[line.type]):
        return _problem(h, p, "credit_not_matching_cause", f"credited {p.amount} to "
                        f"{p.balance} for {line.units} x {line.consumption} to "
                        f"{CREDIT_BALANCE[line.type]}", **objects)
    return None


def _upgrade_problem(h: History, p: Posting, cause: ledger_keys.Cause,
                     orders: Iterable[OrderRecord]) -> Violation | None:
    start = _instant(cause.period_start)
    for o in orders:
        if (o.kind, o.immediate, o.plan, o.period_start) == ("plan", True, cause.plan, start) \
                and o.status == "paid" and o.applied:
            return None
    return _problem(h, p, "credit_without_cause", f"an upgrade grant to {cause.plan} without "
                    "its paid and applied upgrade order")


def _instant(iso: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def refunds_within_paid(h: History) -> list[Violation]:
    paid: dict[tuple[str, datetime], int] = defaultdict(int)
    for o in h.orders:
        if o.status == "paid" and o.applied and o.period_start is not None:
            for line in o.lines:
                if line.billing == "recurring" and line.amount.currency == "IDR":
                    paid[(line.addon_id, o.period_start)] += line.amount.amount
    starts: dict[str, list[datetime]] = defaultdict(list)
    for addon_id, start in paid:
        starts[addon_id].append(start)
    credited: dict[tuple[str, datetime | None], list[Posting]] = defaultdict(list)
    for p in h.postings:
        cause = ledger_keys.parse(p.key)
        if cause.kind == "addon_excess":
            credited[(cause.addon_id, _instant(cause.period_start))].append(p)
        elif cause.kind == "addon_refund":
            began = [s for s in starts.get(cause.addon_id, ()) if s <= p.at]
            credited[(cause.addon_id, max(began) if began else None)].append(p)
    out = []
    for (addon_id, start), posts in credited.items():
        total = sum(p.amount for p in posts)
        if total > paid.get((addon_id, start), 0):
            out.append(Violation(
                "refund_above_paid", f"credited {total} for add-on changes in a period for "
                f"which {paid.get((addon_id, start), 0)} was paid", h.workspace_id,
                tuple(p.key for p in posts), addon_id=addon_id,
                details={"period_start": start.isoformat() if start else None,
                         "credited": total, "paid": paid.get((addon_id, start), 0)}))
    return out


def quantities(h: History) -> list[Violation]:
    return [Violation("negative_quantity", f"add-on held {x.quantity} (next {x.next_quantity})",
                      h.workspace_id, addon_id=x.addon_id)
            for x in h.holdings if x.quantity < 0 or (x.next_quantity or 0) < 0]


def invoices_and_payments(h: History) -> list[Violation]:
    return [*_paid_invoices(h), *_succeeded_payments(h), *_fulfilled_orders(h)]


def _paid_invoices(h: History) -> list[Violation]:
    payments = {p.id: p for p in h.payments}
    out, claimed = [], defaultdict(list)
    for inv in h.invoices:
        if inv.status != "paid":
            continue
        if inv.payment_id:
            claimed[inv.payment_id].append(inv.id)
        elif inv.amount.is_zero():
            continue                                   # covered: nothing to pay
        pay = payments.get(inv.payment_id or "")
        if pay is None or pay.status != "succeeded" or pay.invoice_id != inv.id \
                or pay.amount != inv.amount:
            out.append(Violation("paid_invoice_without_payment", "a paid invoice without its "
                                 "succeeded payment for its amount", h.workspace_id,
                                 invoice_id=inv.id, payment_id=inv.payment_id,
                                 order_id=inv.order_id))
    for payment_id, paid in sorted(claimed.items()):
        if len(paid) > 1:
            out.append(Violation("payment_applied_twice", f"one payment pays {len(paid)} "
                                 "invoices", h.workspace_id, payment_id=payment_id,
                                 details={"invoices": sorted(paid)}))
    return out


def _succeeded_payments(h: History) -> list[Violation]:
    invoices = {i.id: i for i in h.invoices}
    out = []
    for pay in h.payments:
        inv = invoices.get(pay.invoice_id)
        if pay.status == "succeeded" and pay.resolved and (
                inv is None or inv.status != "paid" or inv.payment_id != pay.id):
            out.append(Violation("payment_not_applied", "a succeeded payment that pays no "
                                 "invoice and is not listed for a refund", h.workspace_id,
                                 invoice_id=pay.invoice_id, payment_id=pay.id))
    return out


def _fulfilled_orders(h: History) -> list[Violation]:
    invoices = {i.id: i for i in h.invoices}
    out = []
    for o in h.orders:
        if o.status != "paid" or (o.invoice_id is None and o.amount.is_zero()):
            continue                                   # an order that cost nothing
        inv = invoices.get(o.invoice_id or "")
        if inv is None or inv.status != "paid" or inv.order_id != o.id:
            out.append(Violation("fulfilled_order_without_paid_invoice", f"a paid {o.kind} "
                                 "order without its paid invoice", h.workspace_id,
                                 order_id=o.id, invoice_id=o.invoice_id))
    return out


def charges(h: History) -> list[Violation]:
    out = []
    for p in h.postings:
        if p.kind not in ("charge", "arrears"):
            continue
        cause = ledger_keys.parse(p.key)
        category = p.meta.get("category")
        if cause.kind != "charge" or p.meta.get("wamid") != cause.ref:
            out.append(_problem(h, p, "charge_mismatch", "a charge whose key and wamid differ"))
        elif not isinstance(category, str) or balance_for(category) != p.balance:
            out.append(_problem(h, p, "charge_mismatch", f"a {category} charge to {p.balance}"))
        elif -p.amount not in {card.price(category).amount for card in h.rate_cards}:
            out.append(_problem(h, p, "charge_mismatch", f"charged {-p.amount} for a {category} "
                                "message, a price of no rate card in force"))
    return out


def expiries(h: History) -> list[Violation]:
    out, granted, expired = [], 0, 0
    for p in sorted(h.postings, key=lambda x: x.order):
        if p.kind == "grant":
            granted += p.amount
        elif p.kind == "expiry":
            removed = -p.amount
            if removed < 0 or p.delta[1:] != (0, 0) or removed > granted - expired:
                out.append(_problem(h, p, "expiry_above_grant", f"an expiry of {removed} with "
                                    f"{granted - expired} granted and not expired"))
            expired += max(removed, 0)
    return out
