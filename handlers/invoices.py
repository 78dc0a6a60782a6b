"""Invoices of a workspace: list, read, download as PDF (in the caller's language).

Codes contain slashes (`INV/2026/000001`): they may be sent as they are or URL-encoded
(`INV%2F2026%2F000001`); a `.pdf` suffix asks for the PDF. aiohttp's `{code}` only matches one
path segment, so handlers/routes.py also routes SLASHED_CODE_PATH (raw slashes) to `read`.
"""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_datetime

from billing.errors import InvoiceNotPayable, NotFound, PaymentsUnavailable
from billing.invoices import parse_invoice_code, payable
from billing.tax import InvoiceTax
from handlers.formatting import format_money, money_out
from handlers.http import (locale, parse_query, principal, request_now, respond, RouteTable,
                           services)
from handlers.idempotency import idempotent, seed
from handlers.payment_models import (BuyerOut, InvoiceLineOut, InvoiceOut, InvoicePayOut,
                                     InvoicesOut, InvoicesQuery, PaymentOut, SellerOut,
                                     TaxOut)
from service.invoices import invoices
from service.invoices.pdf import InvoicePdf, render_invoice
from service.invoices.records import Invoice, Payment
from service.payments.pay_later import pay_invoice, payments_of
from service.workspaces.workspaces import load_workspace

routes = RouteTable()

SLASHED_CODE_PATH = "/v1/workspaces/{ws}/invoices/{code:.+}"
SLASHED_PAY_PATH = "/v1/workspaces/{ws}/invoices/{code:.+}/pay"


def _package(invoice: Invoice, lang: str) -> str:
    """`Top-up … Rp100.000`: what was bought, before tax (the total with tax is `amount`)."""
    return invoice.package.render(lang, format_money(invoice.subtotal, lang))


def tax_out(invoice: Invoice, lang: str) -> TaxOut | None:
    return None if invoice.tax is None else invoice_tax_out(invoice.tax, lang)


def invoice_tax_out(tax: InvoiceTax, lang: str) -> TaxOut:
    """An invoice's tax block; previews show theirs with it too (handlers/previews.py)."""
    return TaxOut(subtotal=money_out(tax.subtotal, lang), tax_base=money_out(tax.tax_base, lang),
                  tax_rate=tax.rate_label(), tax_amount=money_out(tax.tax, lang),
                  total=money_out(tax.total, lang), prices_include_tax=tax.prices_include_tax)


def _tax_rows(invoice: Invoice, lang: str) -> tuple[tuple[str, str], ...]:
    """(label key, value) rows above the total on the PDF (service/invoices/pdf.py labels)."""
    tax = invoice.tax
    if tax is None:
        return ()
    return (("subtotal", format_money(tax.subtotal, lang)),
            ("tax_base", format_money(tax.tax_base, lang)),
            ("tax_rate", tax.rate_label()), ("tax_amount", format_money(tax.tax, lang)))


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(id=payment.id, provider=payment.provider, status=payment.status,
                      checkout_url=payment.checkout_url, expires_at=payment.expires_at)


def invoice_out(invoice: Invoice, lang: str, payment: Payment | None = None,
                now: datetime | None = None) -> InvoiceOut:
    """`payment`: the invoice's current payment, if at hand; `now`: to tell whether a pending
    invoice is past its deadline (without it, a pending invoice counts as payable)."""
    lines = [InvoiceLineOut(description=line.description.render(lang), quantity=line.quantity,
                            unit_price=money_out(line.unit_price, lang),
                            amount=money_out(line.amount, lang))
             for line in invoice.lines]
    buyer, seller = invoice.buyer, invoice.seller
    return InvoiceOut(code=invoice.code, type=invoice.type, requested_at=invoice.requested_at,
                      package=_package(invoice, lang), lines=lines,
                      amount=money_out(invoice.amount, lang), status=invoice.status,
                      paid_at=invoice.paid_at, expires_at=invoice.expires_at,
                      buyer=BuyerOut(workspace_id=buyer.workspace_id, name=buyer.name,
                                     address=buyer.address, tax_id=buyer.tax_id,
                                     email=buyer.email, phone=buyer.phone),
                      seller=SellerOut(name=seller.name, address=seller.address,
                                       tax_id=seller.tax_id),
                      payable=payable(invoice.status, invoice.expires_at, now or
                                      invoice.requested_at),
                      payment=payment_out(payment) if payment else None,
                      tax=tax_out(invoice, lang))


def local_time(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    return format_datetime(moment, "d MMMM y, HH:mm zzz", tzinfo=tz, locale=lang)


def pdf_view(invoice: Invoice, lang: str, tz: ZoneInfo) -> InvoicePdf:
    lines = tuple((line.description.render(lang), str(line.quantity),
                   format_money(line.unit_price, lang), format_money(line.amount, lang))
                  for line in invoice.lines)
    seller = invoice.seller
    return InvoicePdf(
        lang=lang, code=invoice.code or "", status=invoice.status,
        requested_at=local_time(invoice.requested_at, tz, lang),
        expires_at=local_time(invoice.expires_at, tz, lang),
        paid_at=local_time(invoice.paid_at, tz, lang) if invoice.paid_at else None,
        seller=(seller.name, seller.address, seller.tax_id),
        buyer=(invoice.buyer.name, invoice.buyer.workspace_id, invoice.buyer.address,
               invoice.buyer.tax_id, invoice.buyer.email, invoice.buyer.phone),
        package=_package(invoice, lang), lines=lines, total=format_money(invoice.amount, lang),
        created=invoice.requested_at,
        tax_rows=_tax_rows(invoice, lang))


@routes.route("GET", "/v1/workspaces/{ws}/invoices", "Invoices, newest first (filters: type, "
              "status)", response=InvoicesOut, query=InvoicesQuery)
async def list_all(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    q = parse_query(request, InvoicesQuery)
    found, cursor = await invoices.list_invoices(svc, workspace.id, type_=q.type,
                                                 status=q.status, limit=q.limit, cursor=q.cursor)
    lang, now = locale(request), request_now(request)
    paid_with = await payments_of(svc, found)
    return respond(InvoicesOut(invoices=[invoice_out(i, lang, paid_with.get(i.payment_id or ""),
                                                     now) for i in found],
                               next_cursor=cursor))


async def _invoice(request: web.Request, code: str, as_pdf: bool) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    if parse_invoice_code(code) is None:
        raise NotFound("Invoice not found", field="code")
    invoice = await invoices.by_code(svc, workspace.id, code)
    lang = locale(request)
    if not as_pdf:
        paid_with = await payments_of(svc, [invoice])
        return respond(invoice_out(invoice, lang, paid_with.get(invoice.payment_id or ""),
                                   request_now(request)))
    # off the event loop: a PDF that needs the CJK fallback font takes about a second
    body = await asyncio.to_thread(render_invoice, pdf_view(invoice, lang, svc.settings.tz))
    filename = code.replace("/", "-") + ".pdf"
    return web.Response(body=body, content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@routes.route("GET", "/v1/workspaces/{ws}/invoices/{code}.pdf",
              "Download an invoice as PDF (Accept-Language: id or en)")
async def read_pdf(request: web.Request) -> web.Response:
    return await _invoice(request, request.match_info["code"], True)


@routes.route("GET", "/v1/workspaces/{ws}/invoices/{code}", "One invoice by code (INV/YYYY/NNNNNN, "
              "slashes raw or URL-encoded; `.pdf` for the PDF)", response=InvoiceOut)
async def read(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if code.endswith(".pdf"):
        return await _invoice(request, code[:-len(".pdf")], True)
    return await _invoice(request, code, False)



@routes.route("POST", "/v1/workspaces/{ws}/invoices/{code}/pay",
              "Pay later: a live payment link for an open invoice (the current one, or one new "
              "payment when it failed or lapsed); Idempotency-Key supported",
              response=InvoicePayOut, errors=(InvoiceNotPayable, PaymentsUnavailable))
@idempotent
async def pay(request: web.Request) -> web.Response:
    svc = services(request)
    workspace = await load_workspace(svc, await principal(request), request.match_info["ws"])
    code = request.match_info["code"]
    if parse_invoice_code(code) is None:
        raise NotFound("Invoice not found", field="code")
    now = request_now(request)
    invoice, payment = await pay_invoice(svc, workspace, code, seed(request), now)
    lang = locale(request)
    return respond(InvoicePayOut(invoice=invoice_out(invoice, lang, payment, now),
                                 payment=payment_out(payment)))
