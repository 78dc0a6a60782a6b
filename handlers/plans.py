"""Plans (public list; admin read and edit) and the plan-change policy table (admin)."""
from __future__ import annotations

import re

from aiohttp import web

from billing.errors import NotFound, ValidationFailed
from billing.money import Money
from billing.plans import PlanTerms
from billing.rates import check_categories
from billing.subscriptions import PolicyRule
from handlers.formatting import money_out
from handlers.http import locale, parse_body, principal, request_now, respond, RouteTable, services
from handlers.subscription_models import PLAN_ID, PlanIn, PlanOut, PlansOut, PolicyIn, PolicyOut, PolicyRuleIn
from service.subscriptions import plans
from service.subscriptions.plans import Plan

routes = RouteTable()


def plan_out(plan: Plan, lang: str) -> PlanOut:
    terms = plan.terms
    return PlanOut(
        id=terms.id, name=terms.name, rank=terms.rank,
        prices={u: money_out(p, lang) for u, p in terms.prices.items()},
        conversation_grant=money_out(terms.grant, lang), grant_rolls_over=terms.rolls_over,
        limits=dict(terms.limits), rates={c: money_out(m, lang) for c, m in plan.rates.items()})


async def _admin(request: web.Request) -> None:
    if (await principal(request)).role != "admin":
        raise NotFound("Not found")


@routes.route("GET", "/v1/plans", "The plans: prices per period, limits, conversation grant "
              "(public)", response=PlansOut, auth="none")
async def list_plans(request: web.Request) -> web.Response:
    lang = locale(request)
    found = await plans.list_plans(services(request))
    return respond(PlansOut(plans=[plan_out(p, lang) for p in found]))


@routes.route("GET", "/v1/admin/plans/{id}", "Read one plan (admin)", response=PlanOut)
async def read_plan(request: web.Request) -> web.Response:
    await _admin(request)
    plan = await plans.get_plan(services(request), request.match_info["id"])
    return respond(plan_out(plan, locale(request)))


@routes.route("PUT", "/v1/admin/plans/{id}", "Create or replace a plan (admin); Free must cost "
              "nothing", body=PlanIn, response=PlanOut)
async def write_plan(request: web.Request) -> web.Response:
    await _admin(request)
    plan_id = request.match_info["id"]
    if not re.match(PLAN_ID, plan_id):
        raise ValidationFailed("Plan ids are lowercase slugs", field="id")
    body = await parse_body(request, PlanIn)
    plan = PlanTerms(plan_id, body.name, body.rank,
                     {u: Money(p.amount, p.currency) for u, p in body.prices.items()},
                     Money(body.conversation_grant.amount), body.grant_rolls_over,
                     body.limits.model_dump())
    rates = {c.strip().lower(): r.model_dump() for c, r in body.rates.items()}
    check_categories(rates, "rates")
    svc = services(request)
    saved = await plans.put_plan(svc, plan, rates, request_now(request))
    return respond(plan_out(saved, locale(request)))


@routes.route("GET", "/v1/admin/billing-policy", "The plan-change policy table (admin)",
              response=PolicyOut)
async def read_policy(request: web.Request) -> web.Response:
    await _admin(request)
    rules = await plans.load_policy(services(request))
    return respond(PolicyOut(rules=[PolicyRuleIn(**vars(r)) for r in rules]))


@routes.route("PUT", "/v1/admin/billing-policy", "Replace the plan-change policy table (admin): "
              "rules matched in order, first match wins; timing end_of_term | immediate (upgrades "
              "within one period unit only)", body=PolicyIn, response=PolicyOut)
async def write_policy(request: web.Request) -> web.Response:
    await _admin(request)
    body = await parse_body(request, PolicyIn)
    rules = [PolicyRule(**r.model_dump()) for r in body.rules]
    svc = services(request)
    await plans.put_policy(svc, rules, request_now(request))
    return respond(PolicyOut(rules=body.rules))
