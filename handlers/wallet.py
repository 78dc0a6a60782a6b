"""Wallet: balances, usage history, authorize-before-send; admin reconciliation."""
from __future__ import annotations

from aiohttp import web

from billing.authorization import authorize_send
from billing.errors import NotFound
from billing.wallet import BALANCE_KINDS, shown_amount
from handlers.formatting import money_out
from handlers.http import (locale, parse_body, parse_query, principal, request_now, respond,
                           RouteTable, services)
from handlers.models import (AuthorizeIn, AuthorizeOut, BalanceOut, ReconcileOut, UsageEntryOut,
                             UsageOut, UsageQuery, WalletOut)
from service.reconcile.reconcile import reconcile
from service.wallet.reports import UsageLine, usage
from service.wallet.summary import rate_of, wallet_state
from service.workspaces.workspaces import load_workspace

routes = RouteTable()


async def _wallet_context(request: web.Request):
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    balances, rates = await wallet_state(svc, workspace.id)
    return svc, workspace, balances, rates


@routes.route("GET", "/v1/workspaces/{ws}/wallet", "Balances of the WhatsApp wallet",
              response=WalletOut)
async def wallet(request: web.Request) -> web.Response:
    _, workspace, balances, rates = await _wallet_context(request)
    lang = locale(request)
    prices = {b: rate_of(rates, b) for b in BALANCE_KINDS}
    out = {b: BalanceOut(granted=money_out(balances[b].granted, lang),
                         purchased=money_out(balances[b].purchased, lang),
                         total=money_out(balances[b].total, lang),
                         arrears=money_out(balances[b].arrears, lang),
                         rate=money_out(prices[b], lang)) for b in BALANCE_KINDS}
    return respond(WalletOut(**out, arrears_limit=money_out(workspace.arrears_limit, lang)))


@routes.route("GET", "/v1/workspaces/{ws}/wallet/usage", "Ledger entries, newest first",
              response=UsageOut, query=UsageQuery)
async def wallet_usage(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    q = parse_query(request, UsageQuery)
    lines, cursor = await usage(svc, workspace.id, balance=q.balance, kind=q.kind,
                                since=q.from_, until=q.to, limit=q.limit, cursor=q.cursor)
    lang = locale(request)
    return respond(UsageOut(entries=[_usage_out(line, lang) for line in lines],
                            next_cursor=cursor))


def _usage_out(line: UsageLine, lang: str) -> UsageEntryOut:
    e = line.entry
    return UsageEntryOut(
        id=e.key, time=line.at, kind=e.kind, balance=e.balance,
        amount=money_out(shown_amount(e), lang), balance_after=money_out(e.after.net, lang),
        arrears_after=money_out(e.after.arrears, lang),
        wamid=e.meta.get("wamid"), category=e.meta.get("category"))


@routes.route("POST", "/v1/workspaces/{ws}/wallet/authorize",
              "May the console send `count` replies or broadcasts? 402 insufficient_balance if not",
              body=AuthorizeIn, response=AuthorizeOut)
async def wallet_authorize(request: web.Request) -> web.Response:
    _, workspace, balances, rates = await _wallet_context(request)
    body = await parse_body(request, AuthorizeIn)
    balance, result = authorize_send(balances, rates, body.kind, body.count,
                                     workspace.arrears_limit)
    lang = locale(request)
    return respond(AuthorizeOut(allowed=True, kind=body.kind, count=body.count,
                                cost=money_out(result.cost, lang),
                                available=money_out(result.available, lang), balance=balance))


@routes.route("GET", "/v1/admin/reconcile", "Prove every balance equals the sum of its ledger "
              "and every ledger entry has a cause that allows it (admin)",
              response=ReconcileOut)
async def admin_reconcile(request: web.Request) -> web.Response:
    who = await principal(request)
    if who.role != "admin":
        raise NotFound("Not found")
    report = await reconcile(services(request), now=request_now(request))
    return respond(ReconcileOut(
        ok=report.ok, violations=[v.to_dict() for v in report.violations],
        workspaces=[{"workspace_id": w.workspace_id,
                     "balances": {k: vars(b) for k, b in w.balances.items()}}
                    for w in report.workspaces]))
