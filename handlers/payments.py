"""Payment provider callbacks (signed), the admin's view of payments (e.g. refunds due) and
refunds."""
from __future__ import annotations

from aiohttp import web

from billing.errors import GatewayUnavailable, NotFound, PaymentNotRefundable
from handlers.bodies import read_body
from handlers.formatting import money_out
from handlers.http import (admin_only, locale, parse_query, principal, request_now, respond,
                           RouteTable, services)
from handlers.idempotency import idempotent
from handlers.payment_models import (CallbackOut, PaymentAdminOut, PaymentsOut, PaymentsQuery,
                                     RefundOut)
from handlers.topups import payment_out
from service.invoices.records import Payment, Refund
from service.payments import payments, refunds
from service.payments import settlement

routes = RouteTable()


@routes.route("POST", "/webhooks/payments/{provider}",
              "Payment provider callback: `sandbox` signed with PAYMENT_WEBHOOK_SECRET "
              "(X-Saldo-Signature: sha256=<hex HMAC-SHA256 of the raw body>), `xendit` by its "
              "x-callback-token header, `midtrans` by its signature_key; a gateway's is then "
              "confirmed with its status API before anything is credited",
              response=CallbackOut, auth="signature", errors=(GatewayUnavailable,))
async def callback(request: web.Request) -> web.Response:
    svc = services(request)
    payment = await settlement.receive_callback(svc, request.match_info["provider"],
                                                await read_body(request), request.headers,
                                                request_now(request))
    return respond(CallbackOut(ok=True, payment=payment_out(payment)))


def refund_out(refund: Refund | None, lang: str) -> RefundOut | None:
    if refund is None:
        return None
    return RefundOut(id=refund.id, status=refund.status, amount=money_out(refund.amount, lang),
                     reason=refund.reason, reference=refund.reference, message=refund.message,
                     requested_at=refund.requested_at, attempt=refund.attempt)


def admin_payment_out(payment: Payment, lang: str) -> PaymentAdminOut:
    return PaymentAdminOut(
        id=payment.id, workspace_id=payment.workspace_id, invoice_code=payment.invoice_code,
        provider=payment.provider, provider_reference=payment.provider_reference,
        amount=money_out(payment.amount, lang), status=payment.status,
        refund_reason=payment.refund_reason, created_at=payment.created_at,
        succeeded_at=payment.succeeded_at, failed_at=payment.failed_at,
        refund=refund_out(payment.refund, lang), refunded_at=payment.refunded_at)


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


@routes.route("POST", "/v1/admin/payments/{id}/refund",
              "Refund a payment that succeeded too late (needs_refund) through its gateway; "
              "asked again, the same refund (Idempotency-Key supported; admin)",
              response=PaymentAdminOut, errors=(PaymentNotRefundable, GatewayUnavailable))
@idempotent
async def refund(request: web.Request) -> web.Response:
    await admin_only(request)
    payment = await refunds.refund_payment(services(request), request.match_info["id"],
                                           request_now(request))
    return respond(admin_payment_out(payment, locale(request)))
