"""Subscription of a workspace: read (with usage), quote, change, renew, cancel, undo; usage
reports from the chat platform."""
from __future__ import annotations

from aiohttp import web

from billing.errors import BillingInfoIncomplete
from billing.subscriptions import Quote
from handlers.formatting import money_out
from handlers.http import locale, parse_body, principal, request_now, respond, RouteTable, services
from handlers.idempotency import idempotent, seed
from handlers.invoices import invoice_out
from handlers.subscription_models import (AddonPurchaseOut, ComplimentaryOut, LimitUsageOut,
                                          NextRenewalOut, PeriodOut, PlacedInvoiceOut,
                                          QuoteLineOut, QuoteOut, RemovedAddonOut,
                                          ScheduledChangeOut, ShrinkingLimitOut,
                                          SubscriptionAddonOut, SubscriptionChangeIn,
                                          SubscriptionOrderOut, SubscriptionOut, UsageReportIn)
from handlers.topups import payment_out
from service.previews.outlook import Outlook, outlook
from service.subscriptions import subscriptions as subs
from service.subscriptions.records import Gift, SubscriptionView
from service.workspaces.workspaces import load_workspace

routes = RouteTable()

BASE = "/v1/workspaces/{ws}/subscription"


def subscription_out(view: SubscriptionView, seen: Outlook | None = None,
                     lang: str = "id") -> SubscriptionOut:
    """`seen` (GET only): the next renewal, add-on prices and the add-on history."""
    change = view.scheduled_change
    prices = seen.addon_prices if seen else {}
    out = SubscriptionOut(
        workspace_id=view.workspace_id, plan=view.plan.id, plan_name=view.plan.name,
        period=view.period, status=view.status,
        current_period=PeriodOut(start=view.current_period.start, end=view.current_period.end),
        scheduled_change=ScheduledChangeOut(**vars(change)) if change else None,
        next_period_paid=view.next_period_paid,
        addons=[SubscriptionAddonOut(**vars(a), stops_at_period_end=a.stops_at_period_end,
                                     price_next_period=money_out(prices[a.addon_id], lang)
                                     if a.addon_id in prices else None)
                for a in view.addons],
        entitlements=list(view.entitlements),
        usage={k: LimitUsageOut(used=u.used, maximum=u.maximum, exceeded=u.exceeded)
               for k, u in view.usage.items()},
        plan_limits={k: u.plan_maximum for k, u in view.usage.items()},
        complimentary=_complimentary_out(view.complimentary))
    return _with_outlook(out, seen, lang) if seen else out


def _with_outlook(out: SubscriptionOut, seen: Outlook, lang: str) -> SubscriptionOut:
    r = seen.renewal
    renewal = NextRenewalOut(date=r.effective_at, amount=money_out(r.totals[0], lang),
                             totals=[money_out(t, lang) for t in r.totals]) if r else None
    history = [AddonPurchaseOut(addon_id=p.addon_id, display_name=p.display_name,
                                quantity=p.quantity, amount=money_out(p.amount, lang),
                                invoice_code=p.invoice_code, purchased_at=p.purchased_at)
               for p in seen.purchases]
    return out.model_copy(update={"next_renewal": renewal, "addon_history": history})


def _complimentary_out(gift: Gift | None) -> ComplimentaryOut | None:
    if gift is None:
        return None
    return ComplimentaryOut(plan=gift.plan, granted_by=gift.by, reseller_id=gift.reseller_id,
                            period=PeriodOut(start=gift.period.start, end=gift.period.end))


def quote_out(q: Quote, lang: str) -> QuoteOut:
    return QuoteOut(
        plan=q.target.plan.id, period=q.target.unit, direction=q.direction, timing=q.timing,
        invoice_type=q.invoice_type, total=money_out(q.total, lang),
        totals=[money_out(total, lang) for total in q.totals],
        lines=[QuoteLineOut(kind=line.kind, description=line.description,
                            quantity=line.quantity, unit_price=money_out(line.unit_price, lang),
                            amount=money_out(line.amount, lang), addon_id=line.addon_id,
                            quantity_change=line.quantity_change) for line in q.lines],
        covers=PeriodOut(start=q.covers.start, end=q.covers.end), effective_at=q.effective_at,
        shrinking_limits=[ShrinkingLimitOut(limit=s.key, used=s.used,
                                            current_maximum=s.current_max,
                                            new_maximum=s.new_max, exceeded=s.exceeded)
                          for s in q.shrinking],
        removed_addons=[RemovedAddonOut(addon_id=r.addon_id, quantity=r.quantity,
                                        reason=r.reason) for r in q.removed_addons])


def placed_out(placed: subs.Placed, lang: str) -> SubscriptionOrderOut:
    every = ([(placed.invoice, placed.payment)] if placed.invoice else []) + list(placed.others)
    return SubscriptionOrderOut(
        subscription=subscription_out(placed.subscription),
        quote=quote_out(placed.quote, lang) if placed.quote else None,
        invoice=(invoice_out(placed.invoice, lang, placed.payment) if placed.invoice
                 else None),
        payment=payment_out(placed.payment) if placed.payment else None,
        invoices=[PlacedInvoiceOut(invoice=invoice_out(invoice, lang, payment),
                                   payment=payment_out(payment) if payment else None)
                  for invoice, payment in every])


async def _workspace(request: web.Request):
    svc = services(request)
    return svc, await load_workspace(svc, await principal(request), request.match_info["ws"])


def _addons(body: SubscriptionChangeIn) -> list[tuple[str, int]]:
    return [(a.addon_id, a.quantity) for a in body.addons]


@routes.route("GET", BASE, "Plan, period, current period dates, scheduled change, add-ons and "
              "usage (each limit: used and effective maximum)", response=SubscriptionOut)
async def read(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    now = request_now(request)
    return respond(subscription_out(await subs.view(svc, ws.id, now),
                                    await outlook(svc, ws, now), locale(request)))


@routes.route("POST", f"{BASE}/quote", "Order summary of a change: lines, total, timing, and for a "
              "downgrade the limits that shrink; add-on lines (+/- quantities) and the add-ons "
              "removed at the switch", body=SubscriptionChangeIn, response=QuoteOut)
async def quote(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    body = await parse_body(request, SubscriptionChangeIn)
    q = await subs.quote(svc, ws, body.plan, body.period, _addons(body), request_now(request))
    return respond(quote_out(q, locale(request)))


@routes.route("POST", f"{BASE}/change", "Change plan or period: at the next billing cycle (or now, "
              "prorated, if the policy table says so); invoiced when it costs money; replaces a "
              "scheduled change (Idempotency-Key supported)", body=SubscriptionChangeIn,
              response=SubscriptionOrderOut, errors=(BillingInfoIncomplete,))
@idempotent
async def change(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    body = await parse_body(request, SubscriptionChangeIn)
    placed = await subs.change_plan(svc, ws, body.plan, body.period, _addons(body),
                                    request_now(request), seed(request))
    return respond(placed_out(placed, locale(request)))


@routes.route("POST", f"{BASE}/renew", "Invoice the next period (it starts where the current one "
              "ends); Idempotency-Key supported", response=SubscriptionOrderOut, status=201,
              errors=(BillingInfoIncomplete,))
@idempotent
async def renew(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    placed = await subs.renew_subscription(svc, ws, request_now(request), seed(request))
    return respond(placed_out(placed, locale(request)), 201)


@routes.route("POST", f"{BASE}/cancel", "Back to Free at the end of the paid period (undo: delete "
              "the scheduled change)", response=SubscriptionOrderOut)
async def cancel(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    placed = await subs.cancel_subscription(svc, ws, request_now(request), seed(request))
    return respond(placed_out(placed, locale(request)))


@routes.route("DELETE", f"{BASE}/scheduled-change", "Cancel the scheduled change (its unpaid "
              "invoice is cancelled)", response=SubscriptionOut)
async def cancel_change(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    view = await subs.cancel_scheduled_change(svc, ws.id, request_now(request))
    return respond(subscription_out(view))


@routes.route("PUT", "/v1/workspaces/{ws}/usage", "The chat platform reports users and contacts",
              body=UsageReportIn, response=SubscriptionOut)
async def report_usage(request: web.Request) -> web.Response:
    svc, ws = await _workspace(request)
    body = await parse_body(request, UsageReportIn)
    now = request_now(request)
    await subs.report_usage(svc, ws.id, body.users, body.contacts, now)
    return respond(subscription_out(await subs.view(svc, ws.id, now)))
