"""Operations (admin): the last reconciliation's result (every balance equals its ledger and every
entry has a cause: green, or the workspaces that differ and how) with its time, and a button
that runs one now (issue 16: a full run reads every ledger entry, minutes at 1,000,000 entries,
so a page load only reads the last run's result, service/reconcile/runs.py); and the payments
that need a refund with their invoices, each refunded through its gateway as
`POST /v1/admin/payments/{id}/refund` does (placed once per form)."""
from __future__ import annotations

from aiohttp import web

from billing.errors import BillingError, NotFound
from handlers.http import request_now, services
from handlers.panel.forms import api_errors, page_cursor, paged
from handlers.panel.web import WHO, panel_page, render
from handlers.portal.once import once
from service.payments import refunds
from service.payments.refunds_due import refunds_due
from service.reconcile.reconcile import count_failing, last_run

routes = web.RouteTableDef()
PAGE = 25


async def _page(request: web.Request, errors: dict | None = None,
                status: int = 200) -> web.Response:
    svc = services(request)
    last = await last_run(svc)
    due, cursor = await paged(lambda at: refunds_due(svc, request[WHO], PAGE, at),
                              page_cursor(request.query))
    return render(request, "panel/operations/index.html", {
        "last": last, "due": due, "next_cursor": cursor,
        "errors": errors or {}, "refunded": request.query.get("refunded")}, status=status)


@routes.get("/panel/operations")
@panel_page(admin=True)
async def operations(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.post("/panel/operations/reconcile")
@panel_page(admin=True)
async def reconcile_now(request: web.Request) -> web.StreamResponse:
    """A full reconciliation, kept as the last run (read only: a second press runs it again)."""
    await count_failing(services(request), request_now(request))
    return web.Response(status=303, headers={"Location": "/panel/operations#reconciliation"})


@routes.post("/panel/operations/payments/{id}/refund")
@panel_page(admin=True)
async def refund(request: web.Request) -> web.StreamResponse:
    svc, now = services(request), request_now(request)
    payment_id = request.match_info["id"]

    async def ask(_seed: str) -> str:
        payment = await refunds.refund_payment(svc, payment_id, now)
        status = payment.refund.status if payment.refund else payment.status
        return f"/panel/operations?refunded={payment.id}&status={status}"
    try:
        return await once(request, ask, scope="panel:admin")
    except NotFound:
        raise
    except BillingError as exc:
        return await _page(request, {payment_id: api_errors(exc).popitem()[1]}, status=422)
