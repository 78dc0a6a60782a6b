"""Upgrade / downgrade (issue 12, screen 2): the plans side by side, then the Order Summary of
the chosen plan and period with the add-ons it may carry (➕/➖), priced by the previews use
case (`kind: plan_change`, what `POST …/previews` answers), and Buy Now: the same use case as
`POST …/subscription/change`, placed once (`once`), then the payment page.

* GET /portal/plans[?plan=&period=&qty.<addon>=]: the page (the summary when a plan is chosen).
* POST /portal/plans: the form. ➕, ➖ and Update (without JavaScript) answer 303 to the GET
  showing the new summary; Buy Now (`op=buy`) orders. A refusal is shown at its field (422,
  nothing ordered); missing billing information leads to its form and back here.
* POST /portal/plans/summary: the same form through htmx: only the summary, recomputed by the
  server, swapped in without a reload (its address kept in the browser's history entry)."""
from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from billing.errors import BillingError, BillingInfoIncomplete, StoreUnavailable
from handlers.http import request_now, services
from handlers.portal import i18n
from handlers.portal.once import once
from handlers.portal.plans_summary import (Choice, asked_addons, cards, errors_of, heading,
                                           rows, scheduled, summary, unit_label, url)
from handlers.portal.web import WORKSPACE, page, redirect, render
from service.addons.plan_offers import change_offers
from service.previews.previews import OrderAsked, preview
from service.subscriptions import subscriptions as subs
from service.subscriptions.plans import list_plans

routes = web.RouteTableDef()
PAGE = "/portal/plans"
INDEX, FRAGMENT = "portal/plans/index.html", "portal/plans/summary.html"


async def _context(request: web.Request, choice: Choice) -> dict:
    """The page's data for what was asked: cards always; for a known plan and period, the
    add-on rows and (when every quantity is a whole number) the preview."""
    svc, now, ws = services(request), request_now(request), request[WORKSPACE]
    view = await subs.view(svc, ws.id, now)
    plans = [p.terms for p in await list_plans(svc)]
    plan = next((p for p in plans if p.id == choice.plan), None)
    period = choice.period or view.period
    chosen = plan is not None and period in plan.prices
    ctx: dict = {"cards": cards(plans, view, (choice.plan, period) if chosen else ("", "")),
                 "view": view, "current_label": unit_label(view.period), "chosen": chosen,
                 "plan": plan, "period": period, "period_label": unit_label(period),
                 "rows": [], "errors": {}, "summary": None, "asked": [], "url": PAGE,
                 "scheduled": scheduled(view, plans),
                 "heading": heading(view, plan if chosen else None, period)}
    if not chosen:
        return ctx
    errors: dict[str, str] = {}
    shown = rows(choice, await change_offers(svc, ws, plan.id, period), view, errors)
    asked = asked_addons(shown)
    ctx.update(rows=shown, errors=errors, asked=asked, url=url(plan.id, period, shown))
    if errors:
        return ctx
    try:
        ctx["summary"] = summary(await preview(svc, ws, OrderAsked(
            "plan_change", plan.id, period, tuple(asked)), now), view, i18n.LANG.get())
    except StoreUnavailable:
        raise
    except BillingError as exc:
        errors.update(errors_of(exc, asked))
    return ctx


@routes.get(PAGE)
@page
async def plans_page(request: web.Request) -> web.StreamResponse:
    ctx = await _context(request, Choice.of(request.query))
    return render(request, INDEX, ctx, status=422 if ctx["errors"] else 200)


@routes.post(PAGE + "/summary")
@page
async def summary_fragment(request: web.Request) -> web.StreamResponse:
    """htmx: the Order Summary alone (200 also with field errors, so htmx swaps it in)."""
    ctx = await _context(request, Choice.of(await request.post()))
    response = render(request, FRAGMENT, ctx)
    if ctx["chosen"] and not ctx["errors"]:
        response.headers["HX-Replace-Url"] = ctx["url"]
    return response


@routes.post(PAGE)
@page
async def order(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    ctx = await _context(request, Choice.of(form))
    if not ctx["chosen"]:
        ctx["errors"]["_form"] = i18n._("Choose a plan and a period.")
    if ctx["errors"]:
        return render(request, INDEX, ctx, status=422)
    if form.get("op") != "buy":            # ➕, ➖ or Update without JavaScript
        return redirect(ctx["url"] + "#summary")
    try:
        return await once(request, lambda seed: _place(request, ctx, seed))
    except BillingInfoIncomplete:
        return redirect("/portal/billing-info?" + urlencode({"next": ctx["url"]}))
    except StoreUnavailable:
        raise
    except BillingError as exc:
        ctx["errors"].update(errors_of(exc, ctx["asked"]))
        return render(request, INDEX, ctx, status=422)


async def _place(request: web.Request, ctx: dict, seed: str) -> str:
    """Change the plan as `POST …/subscription/change` does → where to go next: the payment
    page of the first invoice to pay, or the overview (nothing to pay, or paid by credit)."""
    placed = await subs.change_plan(services(request), request[WORKSPACE], ctx["plan"].id,
                                    ctx["period"], ctx["asked"], request_now(request), seed)
    for invoice, payment in ((placed.invoice, placed.payment), *placed.others):
        if invoice is not None and invoice.status == "pending" and payment is not None \
                and payment.checkout_url:
            return payment.checkout_url
    return "/portal"
