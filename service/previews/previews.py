"""Preview any order before it is placed (issue 11 item 1). Reads only: nothing is written.

Each kind asks the pricing function its order endpoint uses (`price_change`, `price_renewal`,
`price_purchase`, `price_quantity`, `price_stop`, `price_topup`) and turns what it priced
into the invoice lines the order will carry (`order_of`, `invoice_lines`, the same builders
the orders use), so the order answers with exactly the preview's lines and totals. The same
refusals apply (a plan already renewed and paid, an add-on others require, limits), except
billing information, which a preview does not need: the customer may look before filling it.
Tax (PPN) is what each invoice of the order will carry: billing/tax.py `invoice_tax` of its
lines under the schedule in force at `now` (service/invoices/taxes.py `schedule_at`), as
`place_order` computes it; a change applied at once (a credit) issues no invoice and no tax.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing.addon_orders import describe, line_parts
from billing.errors import ValidationFailed
from billing.invoices import InvoiceLine, Text
from billing.money import Money
from billing.periods import Period, days_in
from billing.account_credit import CREDIT_LINE, usable
from billing.previews import CreditApplied, Preview, PreviewLine, Proration, taxable_lines
from billing.tax import TaxableLine, invoice_tax
from billing.proration import coverage, days_remaining
from service.addons import purchases
from service.addons.holdings import subscribed
from service.addons.orders import invoice_lines, line_doc
from service.addons.repository import lines_from_docs
from service.credit.repository import accounts as credit_accounts
from service.invoices.taxes import schedule_at
from service.runtime.context import Services
from service.subscriptions import subscriptions as subs
from service.subscriptions.orders import OrderSpec, order_of
from service.topups.topups import price_topup
from service.workspaces.records import Workspace


@dataclass(frozen=True)
class OrderAsked:
    """What the order endpoint of `kind` would be sent (only its own fields are used)."""
    kind: str
    plan: str | None = None
    period: str | None = None
    addons: tuple[tuple[str, int], ...] = ()
    addon_id: str | None = None
    quantity: int | None = None
    balance: str | None = None
    amount: int | None = None


def _need(asked: OrderAsked, name: str):
    value = getattr(asked, name)
    if value is None:
        raise ValidationFailed(f"A {asked.kind} preview needs {name}", field=name)
    return value


async def preview(svc: Services, workspace: Workspace, asked: OrderAsked,
                  now: datetime) -> Preview:
    return await _with_tax_and_credit(svc, workspace,
                                      await _KINDS[asked.kind](svc, workspace, asked, now), now)


async def _with_tax_and_credit(svc: Services, workspace: Workspace, shown: Preview,
                               now: datetime) -> Preview:
    """As `place_order` does per invoice (one per currency): its tax, then the account credit
    it would take of the amount due with tax (`usable`, read only: nothing is taken), and the
    tax again with the "Credit applied" line, which no rate taxes but which counts in the
    invoice's subtotal and total."""
    if shown.takes_effect == "now" or not shown.lines:
        return shown
    schedule = await schedule_at(svc, now)
    per_currency = taxable_lines(shown.lines)
    taxed = replace(shown, tax=_taxes(per_currency, schedule))
    balances = {a.currency: a.balance for a in await credit_accounts(svc.db, workspace.id)}
    applied = tuple(CreditApplied(CREDIT_LINE, -taken) for taken in
                    (usable(balances[due.currency], due) for due in taxed.totals
                     if due.currency in balances) if taken.amount > 0)
    if not applied:
        return taxed
    for credit in applied:
        per_currency[credit.amount.currency].append(TaxableLine(credit.amount, "credit"))
    return replace(taxed, credits_applied=applied, tax=_taxes(per_currency, schedule))


def _taxes(per_currency: dict[str, list[TaxableLine]], schedule) -> tuple:
    taxes = [invoice_tax(lines, schedule) for lines in per_currency.values()]
    return tuple(t for t in taxes if t is not None)


def _spec_lines(spec: OrderSpec, svc: Services, now: datetime) -> list[PreviewLine]:
    """The lines of a plan order: the plan, then its add-ons (prorated when immediate)."""
    plan_line, *addon_lines = order_of(spec, "preview", svc.settings.tz).lines
    immediate = spec.timing == "immediate"
    span = Period(now, spec.covers.end) if immediate else spec.covers
    days = Proration("days", days_remaining(spec.covers, now, svc.settings.tz),
                     days_in(spec.covers, svc.settings.tz), now, spec.covers.end) \
        if immediate else None
    out = [PreviewLine.of(plan_line, "plan", covers=span, proration=days)]
    for line, record in zip(addon_lines, lines_from_docs(spec.addons)):
        out.append(_addon_line(line, record.addon_id, record.recurring,
                               spec.covers, now if immediate else None))
    return out


def _addon_line(line: InvoiceLine, addon_id: str, recurring: bool, period: Period,
                prorated_from: datetime | None) -> PreviewLine:
    if not recurring:
        return PreviewLine.of(line, "addon", addon_id)
    if prorated_from is None:
        return PreviewLine.of(line, "addon", addon_id, period)
    return PreviewLine.of(line, "addon", addon_id, Period(prorated_from, period.end),
                          Proration.by_time(coverage(period, prorated_from), prorated_from,
                                            period.end))


async def _plan_change(svc: Services, workspace: Workspace, asked: OrderAsked,
                       now: datetime) -> Preview:
    priced = await subs.price_change(svc, workspace, _need(asked, "plan"),
                                     _need(asked, "period"), list(asked.addons), now)
    q = priced.quote
    lines = _spec_lines(priced.spec, svc, now) if priced.spec else []
    if q.timing == "end_of_term":
        for currency in sorted(priced.other_lines):
            docs = priced.other_lines[currency]
            for line, record in zip(invoice_lines(docs), lines_from_docs(docs)):
                lines.append(_addon_line(line, record.addon_id, record.recurring, q.covers,
                                         None))
    return Preview("plan_change", tuple(lines),
                   "when_paid" if q.timing == "immediate" else "period_end", q.effective_at,
                   q.total.currency, shrinking=tuple(q.shrinking),
                   removed_addons=tuple(q.removed_addons))


async def _renewal(svc: Services, workspace: Workspace, asked: OrderAsked,
                   now: datetime) -> Preview:
    _, spec = await subs.price_renewal(svc, workspace)
    return Preview("renewal", tuple(_spec_lines(spec, svc, now)), "period_end",
                   spec.covers.start, spec.amount.currency)


async def _addon_purchase(svc: Services, workspace: Workspace, asked: OrderAsked,
                          now: datetime) -> Preview:
    sub, addon, charge = await purchases.price_purchase(
        svc, workspace, _need(asked, "addon_id"), asked.quantity or 1, now)
    line, = invoice_lines([line_doc(charge, addon)])
    return Preview("addon_purchase", (_addon_line(line, addon.id, addon.recurring, sub.period,
                                                  now),), "when_paid", None, addon.currency)


async def _addon_quantity(svc: Services, workspace: Workspace, asked: OrderAsked,
                          now: datetime) -> Preview:
    p = await purchases.price_quantity(svc, workspace, _need(asked, "addon_id"),
                                       _need(asked, "quantity"), now)
    effect = {"invoice": "when_paid", "period_end": "period_end"}.get(p.effect, "now")
    at = {"now": now, "period_end": p.sub.period.end}.get(effect)
    lines: tuple[PreviewLine, ...] = ()
    if p.effect in ("invoice", "credit"):
        c = p.charge
        line = InvoiceLine(c.description, *_parts(c.amount, c.units), tax_kind="addon",
                           tax_exempt=p.addon.tax_exempt)
        lines = (_addon_line(line, p.addon.id, True, p.sub.period, now),)
    return Preview("addon_quantity", lines, effect, at, p.addon.currency)


def _parts(amount: Money, units: int) -> tuple[int, Money]:
    """The invoice line's (units, unit price); a credit is one line of the whole amount."""
    return line_parts(amount, units) if amount.amount > 0 else (1, amount)


async def _addon_stop(svc: Services, workspace: Workspace, asked: OrderAsked,
                      now: datetime) -> Preview:
    """Stop now: the unused rest credited (rupiah-priced recurring add-ons)."""
    doc, holding, addon, credit = await purchases.price_stop(
        svc, workspace, _need(asked, "addon_id"), "now", now)
    lines: tuple[PreviewLine, ...] = ()
    if credit is not None:
        sub = subscribed(doc)
        text = describe(addon, holding.quantity, sub.unit, Period(now, sub.period.end),
                        svc.settings.tz, (Text("dihentikan", "stopped"),))
        lines = (_addon_line(InvoiceLine(text, 1, -credit), addon.id, True, sub.period,
                             now),)
    return Preview("addon_stop", lines, "now", now, addon.currency)


async def _topup(svc: Services, workspace: Workspace, asked: OrderAsked,
                 now: datetime) -> Preview:
    order = price_topup(svc, _need(asked, "balance"), Money.idr(_need(asked, "amount")),
                        "preview")
    return Preview("topup", tuple(PreviewLine.of(line, "topup") for line in order.lines),
                   "when_paid", None, "IDR")


_KINDS = {"plan_change": _plan_change, "renewal": _renewal, "addon_purchase": _addon_purchase,
          "addon_quantity": _addon_quantity, "addon_stop": _addon_stop, "topup": _topup}
