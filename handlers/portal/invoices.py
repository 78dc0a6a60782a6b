"""Invoices (issue 12, screen 7): the table the help pages list (Invoice Code, Invoice Type,
Request Date, Package, Amount, Status, More: View Details, Download PDF), filtered by type and
status and paged by the invoices API's cursor (service/invoices/invoices.list_invoices); a page
per invoice with its lines (tax, credit applied), the buyer and seller, and while it can still
be paid a Pay button (pay later, service/payments/pay_later.py, placed once); the PDF is the
API's (handlers/invoices.pdf_view → service/invoices/pdf.py) as an attachment.

Codes hold slashes (`INV/2026/000001`), so the paths take the rest of the URL:
`/portal/invoices/INV/2026/000001`, `….pdf`, `…/pay`. Another workspace's code: not found."""
from __future__ import annotations

import asyncio

from aiohttp import web

from billing.errors import BillingError, NotFound
from billing.invoices import parse_invoice_code, payable
from handlers.http import request_now, services
from handlers.invoices import pdf_view
from handlers.portal.balance_words import topup_status
from handlers.portal.i18n import LANG, _, money
from handlers.portal.messages import error_text
from handlers.portal.once import once
from handlers.portal.web import WORKSPACE, page, render
from service.invoices import invoices as invoice_cases
from service.invoices.pdf import render_invoice
from service.invoices.records import Invoice
from service.payments.pay_later import pay_invoice

routes = web.RouteTableDef()
PAGE = 20
STATUSES = ("pending", "paid", "expired", "failed", "cancelled")


def type_names() -> dict[str, str]:
    """Every invoice type of the invoices API's filter, in its order."""
    return {"subscription": _("Subscription"), "renewal": _("Renewal"),
            "plan_change": _("Plan change"), "addon": _("Add-on"), "topup": _("Top-up")}


def status_of(invoice: Invoice) -> tuple[str, str]:
    """(label, badge class): the statuses are a top-up's (balance_words)."""
    return topup_status(invoice.status)


def package_of(invoice: Invoice) -> str:
    return invoice.package.render(LANG.get(), money(invoice.subtotal))


def href(invoice: Invoice, suffix: str = "") -> str:
    return f"/portal/invoices/{invoice.code}{suffix}"


WORDS = {"type_name": lambda t: type_names().get(t, t), "status_of": status_of,
         "package_of": package_of, "href": href}


@routes.get("/portal/invoices")
@page
async def invoice_list(request: web.Request) -> web.StreamResponse:
    svc, workspace = services(request), request[WORKSPACE]
    type_ = request.query.get("type") or None
    status = request.query.get("status") or None
    if type_ not in (None, *type_names()) or status not in (None, *STATUSES):
        type_ = status = None
        bad = True
    else:
        bad = False
    try:
        found, older = await invoice_cases.list_invoices(
            svc, workspace.id, type_=type_, status=status, limit=PAGE,
            cursor=request.query.get("cursor") or None)
    except BillingError:
        return render(request, "portal/error.html", {"message": _(
            "This page link is not valid. Open the invoices again.")}, status=400)
    now = request_now(request)
    filters = {k: v for k, v in (("type", type_), ("status", status)) if v}
    return render(request, "portal/invoices/index.html", {
        "invoices": found, "older": older, "paged": "cursor" in request.query,
        "types": type_names(), "statuses": {s: topup_status(s)[0] for s in STATUSES},
        "chosen_type": type_ or "", "chosen_status": status or "", "filters": filters,
        "bad_filter": bad, "payable": lambda i: payable(i.status, i.expires_at, now),
        **WORDS}, status=400 if bad else 200)


async def _find(request: web.Request, code: str) -> Invoice:
    if parse_invoice_code(code) is None:
        raise NotFound("Invoice not found", field="code")
    return await invoice_cases.by_code(services(request), request[WORKSPACE].id, code)


@routes.get("/portal/invoices/{code:.+}")
@page
async def invoice_detail(request: web.Request) -> web.StreamResponse:
    """One invoice (`….pdf`: its PDF, the API's, as a download)."""
    code = request.match_info["code"]
    if code.endswith(".pdf"):
        return await _pdf(request, await _find(request, code[:-len(".pdf")]))
    invoice = await _find(request, code)
    return _detail(request, invoice, None)


def _detail(request: web.Request, invoice: Invoice, error: str | None) -> web.Response:
    now = request_now(request)
    lines = [{"description": line.description.render(LANG.get()), "quantity": line.quantity,
              "unit_price": line.unit_price, "amount": line.amount} for line in invoice.lines]
    return render(request, "portal/invoices/detail.html", {
        "invoice": invoice, "lines": lines, "tax": invoice.tax,
        "can_pay": payable(invoice.status, invoice.expires_at, now), "error": error,
        **WORDS}, status=422 if error else 200)


async def _pdf(request: web.Request, invoice: Invoice) -> web.Response:
    view = pdf_view(invoice, LANG.get(), services(request).settings.tz)
    body = await asyncio.to_thread(render_invoice, view)   # off the loop, as the API does
    filename = (invoice.code or invoice.id).replace("/", "-") + ".pdf"
    return web.Response(body=body, content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@routes.post("/portal/invoices/{code:.+}/pay")
@page
async def invoice_pay(request: web.Request) -> web.StreamResponse:
    """Pay later: the invoice's live payment link (one new payment if its link lapsed), placed
    once per form; an invoice no longer payable says so on its page."""
    svc, workspace, now = services(request), request[WORKSPACE], request_now(request)
    invoice = await _find(request, request.match_info["code"])

    async def place(seed: str) -> str:
        paid, payment = await pay_invoice(svc, workspace, invoice.code or "", seed, now)
        return payment.checkout_url or href(paid)
    try:
        return await once(request, place)
    except BillingError as exc:
        return _detail(request, await _find(request, invoice.code or ""), error_text(exc))
