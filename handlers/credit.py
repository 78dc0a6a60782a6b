"""Account credit: balances per currency and the history of credits, uses and returns."""
from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from handlers.formatting import money_out
from handlers.http import locale, parse_query, principal, respond, RouteTable, services
from handlers.models import MoneyOut, Request
from service.credit.credit import history
from service.workspaces.workspaces import load_workspace

routes = RouteTable()


class CreditQuery(Request):
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=100)


class CreditEntryOut(BaseModel):
    id: str = Field(description="the entry's ledger key (its cause)")
    time: datetime
    kind: str = Field(description="credit | applied | returned")
    amount: MoneyOut = Field(description="signed: negative when an invoice used it")
    invoice_id: str | None = None
    invoice_code: str | None = Field(default=None, description="the invoice's number")


class CreditOut(BaseModel):
    balances: list[MoneyOut] = Field(description="one per currency the workspace has credit in")
    entries: list[CreditEntryOut] = Field(description="newest first")
    next_cursor: str | None


@routes.route("GET", "/v1/workspaces/{ws}/credit",
              "Account credit: balance per currency and its history, newest first",
              response=CreditOut, query=CreditQuery)
async def credit(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    q = parse_query(request, CreditQuery)
    found = await history(svc, workspace.id, q.limit, q.cursor)
    lang = locale(request)
    return respond(CreditOut(
        balances=[money_out(a.balance, lang) for a in found.accounts],
        entries=[CreditEntryOut(id=e.key, time=e.at, kind=e.kind,
                                amount=money_out(e.amount, lang),
                                invoice_id=e.meta.get("invoice_id"),
                                invoice_code=e.meta.get("code")) for _, e in found.entries],
        next_cursor=found.next_cursor))
