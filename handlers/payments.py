"""Payment provider callbacks (signed), and the admin's view of payments (e.g. refunds due)."""
from __future__ import annotations

from aiohttp import web

from billing.errors import NotFound
from handlers.bodies import read_body
from handlers.formatting import money_out
from handlers.http import locale, parse_query, principal, request_now, respond, RouteTable, services
from handlers.payment_models import CallbackOut, PaymentAdminOut, PaymentsOut, PaymentsQuery
from handlers.topups import payment_out
from service.invoices.records import Payment
from service.payments import payments
from service.payments import settlement

routes = RouteTable()


@routes.route("POST", "/webhooks/payments/{provider}",
              "Payment provider callback, signed with PAYMENT_WEBHOOK_SECRET "
              "(X-Saldo-Signature: sha256=<hex HMAC-SHA256 of the raw body>)",
              response=CallbackOut, auth="signature")
async def callback(request: web.Request) -> web.Response:
    svc = services(request)
    payment = await settlement.receive_callback(svc, request.match_info["provider"],
                                                await read_body(request), request.headers,
                                                request_now(request))
    return respond(CallbackOut(ok=True, payment=payment_out(payment)))


def admin_payment_out(payment: Payment, lang: str) -> PaymentAdminOut:
    return PaymentAdminOut(
        id=payment.id, workspace_id=payment.workspace_id, invoice_code=payment.invoice_code,
        provider=payment.provider, provider_reference=payment.provider_reference,
        amount=money_out(payment.amount, lang), status=payment.status,
        refund_reason=payment.refund_reason, created_at=payment.created_at,
        succeeded_at=payment.succeeded_at, failed_at=payment.failed_at)


@routes.route("GET", "/v1/admin/payments",
              "Payments, newest first; ?state=needs_refund lists money received too late (admin)",
              response=PaymentsOut, query=PaymentsQuery)
async def admin_list(request: web.Request) -> web.Response:
    who = await principal(request)
    if who.role != "admin":
        raise NotFound("Not found")
    q = parse_query(request, PaymentsQuery)
    found, cursor = await payments.list_payments(services(request), status=q.state,
                                                 limit=q.limit, cursor=q.cursor)
    lang = locale(request)
    return respond(PaymentsOut(payments=[admin_payment_out(p, lang) for p in found],
                               next_cursor=cursor))
