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

from billing.errors import NotFound
from billing.invoices import Text, parse_invoice_code
from handlers.formatting import format_money, money_out
from handlers.http import locale, parse_query, principal, respond, RouteTable, services
from handlers.payment_models import InvoiceLineOut, InvoiceOut, InvoicesOut, InvoicesQuery
from service.invoices import invoices
from service.invoices.pdf import InvoicePdf, render_invoice
from service.mongo.docs import money_from_doc
from service.workspaces.workspaces import load_workspace

routes = RouteTable()

SLASHED_CODE_PATH = "/v1/workspaces/{ws}/invoices/{code:.+}"


def _package(doc: dict, lang: str) -> str:
    return Text(**doc["package"]).render(lang, format_money(money_from_doc(doc["amount"]), lang))


def invoice_out(doc: dict, lang: str) -> InvoiceOut:
    lines = [InvoiceLineOut(description=Text(**line["description"]).render(lang),
                            quantity=line["quantity"],
                            unit_price=money_out(money_from_doc(line["unit_price"]), lang),
                            amount=money_out(money_from_doc(line["amount"]), lang))
             for line in doc["lines"]]
    return InvoiceOut(code=doc.get("code"), type=doc["type"], requested_at=doc["requested_at"],
                      package=_package(doc, lang), lines=lines,
                      amount=money_out(money_from_doc(doc["amount"]), lang),
                      status=doc["status"], paid_at=doc.get("paid_at"),
                      expires_at=doc["expires_at"], buyer=doc["buyer"], seller=doc["seller"])


def local_time(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    return format_datetime(moment, "d MMMM y, HH:mm zzz", tzinfo=tz, locale=lang)


def pdf_view(doc: dict, lang: str, tz: ZoneInfo) -> InvoicePdf:
    def fmt(money: dict) -> str:
        return format_money(money_from_doc(money), lang)
    lines = tuple((Text(**line["description"]).render(lang), str(line["quantity"]),
                   fmt(line["unit_price"]), fmt(line["amount"])) for line in doc["lines"])
    seller = doc["seller"]
    return InvoicePdf(
        lang=lang, code=doc["code"], status=doc["status"],
        requested_at=local_time(doc["requested_at"], tz, lang),
        expires_at=local_time(doc["expires_at"], tz, lang),
        paid_at=local_time(doc["paid_at"], tz, lang) if doc.get("paid_at") else None,
        seller=(seller["name"], seller["address"], seller["tax_id"]),
        buyer=(doc["buyer"]["name"], doc["buyer"]["workspace_id"]),
        package=_package(doc, lang), lines=lines, total=fmt(doc["amount"]),
        created=doc["requested_at"])


@routes.route("GET", "/v1/workspaces/{ws}/invoices", "Invoices, newest first (filters: type, "
              "status)", response=InvoicesOut, query=InvoicesQuery)
async def list_all(request: web.Request) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    q = parse_query(request, InvoicesQuery)
    docs, cursor = await invoices.list_invoices(svc.db, workspace.id, type_=q.type,
                                                status=q.status, limit=q.limit, cursor=q.cursor)
    lang = locale(request)
    return respond(InvoicesOut(invoices=[invoice_out(d, lang) for d in docs], next_cursor=cursor))


async def _invoice(request: web.Request, code: str, as_pdf: bool) -> web.Response:
    who = await principal(request)
    svc = services(request)
    workspace = await load_workspace(svc, who, request.match_info["ws"])
    if parse_invoice_code(code) is None:
        raise NotFound("Invoice not found", field="code")
    doc = await invoices.by_code(svc.db, workspace.id, code)
    lang = locale(request)
    if not as_pdf:
        return respond(invoice_out(doc, lang))
    # off the event loop: a PDF that needs the CJK fallback font takes about a second
    body = await asyncio.to_thread(render_invoice, pdf_view(doc, lang, svc.settings.tz))
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

