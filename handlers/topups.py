"""Top-ups: order one (→ invoice + checkout URL), list them."""
from __future__ import annotations

from aiohttp import web

from billing.money import Money
from handlers.formatting import money_out
from handlers.http import (locale, parse_body, parse_query, principal, request_now, respond,
                           RouteTable, services)
from handlers.idempotency import idempotent, seed
from handlers.invoices import invoice_out, payment_out
from handlers.payment_models import (ListQuery, TopupCreatedOut, TopupIn, TopupLimitOut,
                                     TopupLimitsOut, TopupOut, TopupsOut)
from service.topups.repository import Topup
from service.topups.topups import list_topups, order_topup, topup_limits
from service.workspaces.workspaces import load_workspace

routes = RouteTable()


def topup_out(topup: Topup, lang: str) -> TopupOut:
    return TopupOut(id=topup.id, balance=topup.balance, amount=money_out(topup.amount, lang),
                    status=topup.status, invoice_code=topup.invoice_code,
                    created_at=topup.created_at, paid_at=topup.paid_at)


@routes.route("POST", "/v1/workspaces/{ws}/topups",
              "Order a top-up of a balance; the balance rises once the payment succeeds "
              "(Idempotency-Key supported)", body=TopupIn, response=TopupCreatedOut, status=201)
@idempotent
async def create(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    body = await parse_body(request, TopupIn)
    placed = await order_topup(svc, workspace, body.balance, Money.idr(body.amount),
                               seed(request), request_now(request))
    lang = locale(request)
    return respond(TopupCreatedOut(topup=topup_out(placed.topup, lang),
                                   invoice=invoice_out(placed.invoice, lang, placed.payment,
                                                       request_now(request)),
                                   payment=payment_out(placed.payment)), 201)


@routes.route("GET", "/v1/workspaces/{ws}/topups", "Top-ups with their status, newest first",
              response=TopupsOut, query=ListQuery)
async def list_all(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    q = parse_query(request, ListQuery)
    found, cursor = await list_topups(svc, workspace.id, limit=q.limit, cursor=q.cursor)
    lang = locale(request)
    return respond(TopupsOut(topups=[topup_out(t, lang) for t in found], next_cursor=cursor))


@routes.route("GET", "/v1/workspaces/{ws}/topups/limits", "The smallest and largest top-up "
              "of each balance", response=TopupLimitsOut)
async def read_limits(request: web.Request) -> web.Response:
    svc = services(request)
    await load_workspace(svc, await principal(request), request.match_info["ws"])
    lang = locale(request)
    return respond(TopupLimitsOut(limits={
        balance: TopupLimitOut(minimum=money_out(limit.minimum, lang),
                               maximum=money_out(limit.maximum, lang))
        for balance, limit in topup_limits(svc).items()}))
