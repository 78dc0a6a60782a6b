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
from handlers.http import locale, parse_body, principal, respond, RouteTable, services
from handlers.subscription_models import PLAN_ID, PlanIn, PlanOut, PlansOut, PolicyIn, PolicyOut, PolicyRuleIn
from service.mongo.docs import money_from_doc
from service.subscriptions.plans import get_plan_doc, load_policy, plan_docs, put_plan, put_policy

routes = RouteTable()


def plan_out(doc: dict, lang: str) -> PlanOut:
    return PlanOut(
        id=doc["_id"], name=doc["name"], rank=doc.get("rank", 0),
        prices={u: money_out(money_from_doc(p), lang) for u, p in doc["prices"].items()},
        conversation_grant=money_out(money_from_doc(doc["conversation_grant"]), lang),
        grant_rolls_over=doc.get("grant_rolls_over", False), limits=doc.get("limits", {}),
        rates={c: money_out(money_from_doc(m), lang) for c, m in (doc.get("rates") or {}).items()})


async def _admin(request: web.Request) -> None:
    if (await principal(request)).role != "admin":
        raise NotFound("Not found")


@routes.route("GET", "/v1/plans", "The plans: prices per period, limits, conversation grant "
              "(public)", response=PlansOut, auth="none")
async def list_plans(request: web.Request) -> web.Response:
    lang = locale(request)
    return respond(PlansOut(plans=[plan_out(d, lang) for d in await plan_docs(services(request).db)]))


@routes.route("GET", "/v1/admin/plans/{id}", "Read one plan (admin)", response=PlanOut)
async def read_plan(request: web.Request) -> web.Response:
    await _admin(request)
    doc = await get_plan_doc(services(request).db, request.match_info["id"])
    return respond(plan_out(doc, locale(request)))


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
    doc = await put_plan(svc.db, plan, rates, svc.clock.now())
    svc.routing.forget()
    return respond(plan_out(doc, locale(request)))


@routes.route("GET", "/v1/admin/billing-policy", "The plan-change policy table (admin)",
              response=PolicyOut)
async def read_policy(request: web.Request) -> web.Response:
    await _admin(request)
    rules = await load_policy(services(request).db)
    return respond(PolicyOut(rules=[PolicyRuleIn(**vars(r)) for r in rules]))


@routes.route("PUT", "/v1/admin/billing-policy", "Replace the plan-change policy table (admin): "
              "rules matched in order, first match wins; timing end_of_term | immediate (upgrades "
              "within one period unit only)", body=PolicyIn, response=PolicyOut)
async def write_policy(request: web.Request) -> web.Response:
    await _admin(request)
    body = await parse_body(request, PolicyIn)
    rules = [PolicyRule(**r.model_dump()) for r in body.rules]
    svc = services(request)
    await put_policy(svc.db, rules, svc.clock.now())
    return respond(PolicyOut(rules=body.rules))
