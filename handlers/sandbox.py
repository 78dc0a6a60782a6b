"""The sandbox provider's checkout page (HTML) and its Pay / Fail buttons."""
from __future__ import annotations

from html import escape

from aiohttp import web

from handlers.http import locale, request_now, RouteTable, services
from handlers.invoices import invoice_out
from service.invoices.records import Invoice, Payment
from service.payments.sandbox_checkout import checkout, press

routes = RouteTable()

WORDS = {
    "id": {"title": "Pembayaran Sandbox Saldo", "invoice": "Faktur", "package": "Paket",
           "amount": "Jumlah", "status": "Status", "pay": "Bayar", "fail": "Gagalkan",
           "note": "Ini simulasi: tidak ada uang sungguhan yang berpindah.",
           "back": "Kembali ke halaman pembayaran", "portal": "Kembali ke Saldo",
           "succeeded": "Pembayaran berhasil. Faktur lunas.", "failed": "Pembayaran gagal.",
           "applying": "Pembayaran diterima dan sedang diterapkan; pesanan Anda akan aktif "
                      "sebentar lagi.",
           "invoice_expired": "Pembayaran diterima setelah faktur kedaluwarsa; dana akan "
                              "dikembalikan.",
           "invoice_failed": "Pembayaran sebelumnya untuk faktur ini gagal dan faktur sudah "
                             "ditutup; pembayaran ini akan dikembalikan.",
           "payment_superseded": "Faktur ini sudah memakai tautan pembayaran yang lebih baru; "
                                 "pembayaran ini akan dikembalikan.",
           "needs_refund": "Faktur ini sudah ditutup; pembayaran ini akan dikembalikan."},
    "en": {"title": "Saldo Sandbox Checkout", "invoice": "Invoice", "package": "Package",
           "amount": "Amount", "status": "Status", "pay": "Pay", "fail": "Fail",
           "note": "This is a simulation: no real money moves.",
           "back": "Back to the checkout page", "portal": "Back to Saldo",
           "succeeded": "Payment succeeded. The invoice is paid.", "failed": "Payment failed.",
           "applying": "Payment received; it is being applied and your order will be active "
                      "shortly.",
           "invoice_expired": "Payment arrived after the invoice expired; it will be refunded.",
           "invoice_failed": "An earlier payment of this invoice failed and the invoice was "
                             "closed; this payment will be refunded.",
           "payment_superseded": "This invoice has a newer payment link; this payment will be "
                                 "refunded.",
           "needs_refund": "This invoice is closed; this payment will be refunded."},
}


def _page(payment: Payment, invoice: Invoice, lang: str, message: str = "") -> web.Response:
    words = WORDS[lang]
    out = invoice_out(invoice, lang)
    action = f"/sandbox/checkout/{escape(payment.id)}"
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in (
        (words["invoice"], out.code or ""), (words["package"], out.package),
        (words["amount"], out.amount.formatted),
        (words["status"], f"{invoice.status} / {payment.status}")))
    buttons = "" if payment.status != "pending" or invoice.status != "pending" else (
        f'<form method="post" action="{action}/pay"><button type="submit">'
        f'{words["pay"]}</button></form>'
        f'<form method="post" action="{action}/fail"><button type="submit">'
        f'{words["fail"]}</button></form>')
    notice = f'<p class="result">{escape(message)}</p><p><a href="{action}">' \
             f'{words["back"]}</a></p>' if message else ""
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{words["title"]}</title></head><body><h1>{words["title"]}</h1>'
            f'<table>{rows}</table>{buttons}{notice}'
            f'<p><a href="/portal/return/{escape(payment.id)}">{words["portal"]}</a></p>'
            f'<p><small>{words["note"]}</small></p>'
            f'</body></html>')
    return web.Response(text=html, content_type="text/html")


@routes.route("GET", "/sandbox/checkout/{payment_id}", "Sandbox provider: checkout page (HTML)",
              auth="none")
async def page(request: web.Request) -> web.Response:
    payment, invoice = await checkout(services(request), request.match_info["payment_id"])
    return _page(payment, invoice, locale(request))


def _outcome(payment: Payment, invoice: Invoice, words: dict) -> str:
    """What the customer is told: paid, pending (paid, not applied yet), failed, or refunded
    (and why: an expired invoice, or one closed by an earlier failed payment)."""
    if payment.status == "needs_refund":
        return words.get(payment.refund_reason or "", words["needs_refund"])
    if payment.status == "succeeded" and not invoice.settled:
        return words["applying"]
    return words.get(payment.status, payment.status)


async def _press(request: web.Request, outcome: str) -> web.Response:
    payment, invoice = await press(services(request), request.match_info["payment_id"], outcome,
                                   request_now(request))
    lang = locale(request)
    return _page(payment, invoice, lang, _outcome(payment, invoice, WORDS[lang]))


@routes.route("POST", "/sandbox/checkout/{payment_id}/pay", "Sandbox provider: the Pay button "
              "(sends Saldo a signed success callback)", auth="none")
async def pay(request: web.Request) -> web.Response:
    return await _press(request, "succeeded")


@routes.route("POST", "/sandbox/checkout/{payment_id}/fail", "Sandbox provider: the Fail button "
              "(sends Saldo a signed failure callback)", auth="none")
async def fail(request: web.Request) -> web.Response:
    return await _press(request, "failed")
