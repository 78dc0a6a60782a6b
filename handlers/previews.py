"""Order previews: what any order will cost, before it is placed (issue 11 item 1)."""
from __future__ import annotations

from aiohttp import web

from billing.errors import (AddonOneTime, AddonRequiredBy, NextPeriodAlreadyPaid,
                            NothingToRenew, PlanUnchanged)
from billing.previews import Preview, PreviewLine
from handlers.formatting import money_out
from handlers.http import locale, parse_body, principal, request_now, respond, RouteTable, services
from handlers.preview_models import (CreditAppliedOut, PreviewIn, PreviewLineOut, PreviewOut,
                                     ProrationOut)
from handlers.invoices import invoice_tax_out
from handlers.subscription_models import PeriodOut, RemovedAddonOut, ShrinkingLimitOut
from service.previews.previews import OrderAsked, preview
from service.workspaces.workspaces import load_workspace

routes = RouteTable()


def _line_out(line: PreviewLine, lang: str) -> PreviewLineOut:
    p = line.proration
    return PreviewLineOut(
        kind=line.kind, description=line.description.render(lang), addon_id=line.addon_id,
        units=line.units, unit_price=money_out(line.unit_price, lang),
        amount=money_out(line.amount, lang),
        covers=PeriodOut(start=line.covers.start, end=line.covers.end) if line.covers else None,
        proration=ProrationOut(basis=p.basis, numerator=p.numerator,
                               denominator=p.denominator, start=p.start,
                               end=p.end) if p else None)


def preview_out(p: Preview, lang: str) -> PreviewOut:
    taxes = [invoice_tax_out(t, lang) for t in p.tax]
    first = p.totals[0].currency
    return PreviewOut(
        kind=p.kind, lines=[_line_out(line, lang) for line in p.lines],
        credits_applied=[CreditAppliedOut(description=c.description.render(lang),
                                          amount=money_out(c.amount, lang))
                         for c in p.credits_applied],
        tax=next((t for t, raw in zip(taxes, p.tax) if raw.total.currency == first), None),
        taxes=taxes, totals=[money_out(t, lang) for t in p.totals], takes_effect=p.takes_effect,
        effective_at=p.effective_at,
        shrinking_limits=[ShrinkingLimitOut(limit=s.key, used=s.used,
                                            current_maximum=s.current_max,
                                            new_maximum=s.new_max, exceeded=s.exceeded)
                          for s in p.shrinking],
        removed_addons=[RemovedAddonOut(addon_id=r.addon_id, quantity=r.quantity,
                                        reason=r.reason) for r in p.removed_addons])


@routes.route("POST", "/v1/workspaces/{ws}/previews", "Preview any order before it is placed "
              "(nothing is written): lines with units, unit price, dates and proration, credits "
              "applied, tax, totals per currency, when it takes effect, limits that shrink; the "
              "order endpoint then invoices exactly these lines", body=PreviewIn,
              response=PreviewOut, errors=(PlanUnchanged, NothingToRenew, NextPeriodAlreadyPaid,
                                           AddonOneTime, AddonRequiredBy))
async def create(request: web.Request) -> web.Response:
    svc = services(request)
    ws = await load_workspace(svc, await principal(request), request.match_info["ws"])
    body = await parse_body(request, PreviewIn)
    asked = OrderAsked(body.kind, body.plan, body.period,
                       tuple((a.addon_id, a.quantity) for a in body.addons), body.addon_id,
                       body.quantity, body.balance, body.amount)
    return respond(preview_out(await preview(svc, ws, asked, request_now(request)),
                               locale(request)))
