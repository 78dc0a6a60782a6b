"""A local fake of Xendit's Invoice and Refund APIs, speaking their documented shapes, and
sending invoice callbacks the documented way (the `x-callback-token` header)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from aiohttp import web

from tests.payments.fake_gateway import Knobs, basic_key, knobs_middleware

SECRET_KEY = "xnd_development_fake_secret"
CALLBACK_TOKEN = "fake-xendit-callback-token"
CREATED = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def _route(request: web.Request) -> str:
    path = request.path
    if path.startswith("/v2/invoices/"):
        path = "/v2/invoices/{id}"
    elif path.startswith("/refunds/"):
        path = "/refunds/{id}"
    return f"{request.method} {path}"


class FakeXendit:
    name = "xendit"

    def __init__(self) -> None:
        self.knobs = Knobs()
        self.invoices: dict[str, dict] = {}      # by Xendit's invoice id
        self.refunds: dict[str, dict] = {}       # by Xendit's refund id
        self.refund_status = "SUCCEEDED"         # what a new refund answers
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth, knobs_middleware(self.knobs, _route)])
        app.router.add_post("/v2/invoices", self.create_invoice)
        app.router.add_get("/v2/invoices", self.list_invoices)
        app.router.add_get("/v2/invoices/{id}", self.get_invoice)
        app.router.add_post("/refunds", self.create_refund)
        app.router.add_get("/refunds/{id}", self.get_refund)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler):
        if basic_key(request) != SECRET_KEY:
            return web.json_response({"error_code": "INVALID_API_KEY",
                                      "message": "API key is invalid"}, status=401)
        return await handler(request)

    async def create_invoice(self, request: web.Request) -> web.Response:
        # Request and answer: https://developers.xendit.co/api-reference/#create-invoice
        # (fields as listed in
        # https://github.com/xendit/xendit-php/blob/master/docs/Invoice/CreateInvoiceRequest.md
        # and .../docs/Invoice/Invoice.md)
        body = await request.json()
        if not isinstance(body.get("external_id"), str) or \
                not isinstance(body.get("amount"), (int, float)) or body["amount"] <= 0:
            return web.json_response({"error_code": "API_VALIDATION_ERROR",
                                      "message": "external_id and amount are required"}, 400)
        invoice_id = f"65f{len(self.invoices):021d}"
        duration = int(body.get("invoice_duration", 86400))
        invoice = {
            "id": invoice_id, "external_id": body["external_id"], "user_id": "fake-business",
            "status": "PENDING", "merchant_name": "Saldo Fake", "amount": body["amount"],
            "description": body.get("description", ""), "currency": body.get("currency", "IDR"),
            "payer_email": body.get("payer_email"),
            "expiry_date": (CREATED + timedelta(seconds=duration)).isoformat()
            .replace("+00:00", ".000Z"),
            "invoice_url": f"{self.base}/web/invoices/{invoice_id}",
            "success_redirect_url": body.get("success_redirect_url"),
            "failure_redirect_url": body.get("failure_redirect_url"),
            "items": body.get("items"), "created": CREATED.isoformat(),
            "updated": CREATED.isoformat(), "invoice_duration": duration}
        self.invoices[invoice_id] = invoice
        return web.json_response(invoice)

    async def list_invoices(self, request: web.Request) -> web.Response:
        # GET /v2/invoices?external_id= → a JSON array of invoices:
        # https://github.com/xendit/xendit-php/blob/master/docs/InvoiceApi.md (getInvoices)
        wanted = request.query.get("external_id")
        return web.json_response([i for i in self.invoices.values()
                                  if wanted is None or i["external_id"] == wanted])

    async def get_invoice(self, request: web.Request) -> web.Response:
        # GET /v2/invoices/{invoice_id}: https://github.com/xendit/xendit-php/blob/master/docs/
        # InvoiceApi.md (getInvoiceById), the invoice as in .../docs/Invoice/Invoice.md
        invoice = self.invoices.get(request.match_info["id"])
        if invoice is None:
            return web.json_response({"error_code": "INVOICE_NOT_FOUND_ERROR",
                                      "message": "Could not find invoice"}, status=404)
        return web.json_response(invoice)

    async def create_refund(self, request: web.Request) -> web.Response:
        # https://github.com/xendit/xendit-php/blob/master/docs/Refund/CreateRefund.md (request);
        # answer as https://docs.xendit.co/apidocs/get-a-refund (id, status, amount, currency…)
        body = await request.json()
        key = request.headers.get("Idempotency-key")
        for refund in self.refunds.values():
            if key and refund["idempotency_key"] == key:
                return web.json_response(refund)
        invoice = self.invoices.get(body.get("invoice_id"))
        if invoice is None or invoice["status"] not in ("PAID", "SETTLED"):
            return web.json_response({"error_code": "INELIGIBLE_TRANSACTION_ERROR",
                                      "message": "Invoice cannot be refunded"}, status=400)
        refund_id = f"rfd-{len(self.refunds):08d}"
        refund = {"id": refund_id, "invoice_id": invoice["id"],
                  "reference_id": body.get("reference_id"), "amount": body.get("amount"),
                  "currency": body.get("currency", "IDR"), "status": self.refund_status,
                  "reason": body.get("reason"), "idempotency_key": key,
                  "failure_code": "INSUFFICIENT_BALANCE" if self.refund_status == "FAILED"
                  else None}
        self.refunds[refund_id] = refund
        return web.json_response(refund)

    async def get_refund(self, request: web.Request) -> web.Response:
        # GET /refunds/{id}: https://github.com/xendit/xendit-php/blob/master/docs/RefundApi.md
        refund = self.refunds.get(request.match_info["id"])
        if refund is None:
            return web.json_response({"error_code": "DATA_NOT_FOUND"}, status=404)
        return web.json_response(refund)

    # -- what the customer and Xendit do -----------------------------------------------------
    def invoice_of(self, payment_id: str) -> dict:
        return next(i for i in self.invoices.values() if i["external_id"] == payment_id)

    def pay(self, payment_id: str, amount: int | None = None, status: str = "PAID") -> None:
        """The customer pays on the hosted page (`amount`: another one than asked)."""
        invoice = self.invoice_of(payment_id)
        invoice.update(status=status, paid_amount=invoice["amount"] if amount is None
                       else amount, paid_at=CREATED.isoformat(), payment_method="QR_CODE",
                       payment_channel="QRIS")
        if amount is not None:
            invoice["amount"] = amount

    def expire(self, payment_id: str) -> None:
        self.invoice_of(payment_id)["status"] = "EXPIRED"

    def notification(self, payment_id: str, token: str = CALLBACK_TOKEN,
                     **changes) -> tuple[bytes, dict]:
        """The invoice callback Xendit sends: the invoice as it is now, with its token.
        https://github.com/xendit/xendit-php/blob/master/docs/Invoice/InvoiceCallback.md;
        header: https://docs.xendit.co/api-integration/callback/setup"""
        invoice = {**self.invoice_of(payment_id), **changes}
        raw = json.dumps(invoice).encode()
        return raw, {"x-callback-token": token, "Content-Type": "application/json"}
