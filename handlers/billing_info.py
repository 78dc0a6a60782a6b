"""A workspace's billing information (the buyer on its invoices): read it, replace it."""
from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field, StrictStr

from billing.billing_info import BillingInfo, billing_info
from billing.errors import ValidationFailed
from handlers.http import parse_body, principal, respond, RouteTable, services
from handlers.models import Request
from service.workspaces.billing_info import billing_info_of, put_billing_info
from service.workspaces.workspaces import load_workspace

routes = RouteTable()
PATH = "/v1/workspaces/{ws}/billing-info"


class BillingInfoIn(Request):
    legal_name: StrictStr = Field(default="", max_length=1000)
    billing_email: StrictStr = Field(default="", max_length=1000)
    phone: StrictStr = Field(default="", max_length=1000)
    address: StrictStr = Field(default="", max_length=1000)
    npwp: StrictStr = Field(default="", max_length=1000,
                            description="15 or 16 digits; dots and dashes are ignored")


class BillingInfoOut(BaseModel):
    legal_name: str
    billing_email: str
    phone: str
    address: str
    npwp: str
    complete: bool
    missing: list[str]


def billing_info_out(info: BillingInfo) -> BillingInfoOut:
    return BillingInfoOut(**info.to_dict(), complete=not info.missing(), missing=info.missing())


@routes.route("GET", PATH, "The workspace's billing information (the buyer on its invoices) "
              "and which fields are still missing", response=BillingInfoOut)
async def read(request: web.Request) -> web.Response:
    ws = await load_workspace(services(request), await principal(request),
                              request.match_info["ws"])
    return respond(billing_info_out(billing_info_of(ws)))


@routes.route("PUT", PATH, "Replace the billing information (the workspace, its reseller or the "
              "admin); invoices issued later print it, earlier ones never change",
              body=BillingInfoIn, response=BillingInfoOut, errors=(ValidationFailed,))
async def update(request: web.Request) -> web.Response:
    svc = services(request)
    ws = await load_workspace(svc, await principal(request), request.match_info["ws"])
    body = await parse_body(request, BillingInfoIn)
    ws = await put_billing_info(svc, ws, billing_info(**body.model_dump()))
    return respond(billing_info_out(billing_info_of(ws)))
