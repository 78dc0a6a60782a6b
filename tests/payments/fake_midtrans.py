"""A local fake of Midtrans' Snap API (transactions) and Core API (status, refund), speaking
their documented shapes, and sending HTTP notifications signed the documented way
(`signature_key` = SHA-512 of order_id + status_code + gross_amount + server key)."""
from __future__ import annotations

import hashlib
import json

from aiohttp import web

from tests.payments.fake_gateway import Knobs, basic_key, knobs_middleware

SERVER_KEY = "SB-Mid-server-fake-key"
STATUS_CODES = {"capture": "200", "settlement": "200", "pending": "201", "deny": "202",
                "cancel": "202", "expire": "407", "failure": "202", "refund": "200"}


def _route(request: web.Request) -> str:
    path = request.path
    if path.startswith("/v2/") and path.endswith("/status"):
        path = "/v2/{order_id}/status"
    elif path.startswith("/v2/") and path.endswith("/refund"):
        path = "/v2/{order_id}/refund"
    return f"{request.method} {path}"


def sign(order_id: str, status_code: str, gross_amount: str, key: str = SERVER_KEY) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{key}".encode()).hexdigest()


class FakeMidtrans:
    name = "midtrans"

    def __init__(self) -> None:
        self.knobs = Knobs()
        self.orders: dict[str, dict] = {}        # Snap transactions, by order_id
        self.refunds: dict[str, dict] = {}       # by refund_key
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth, knobs_middleware(self.knobs, _route)])
        app.router.add_post("/snap/v1/transactions", self.create_transaction)
        app.router.add_get("/v2/{order_id}/status", self.status)
        app.router.add_post("/v2/{order_id}/refund", self.refund)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler):
        if basic_key(request) != SERVER_KEY:
            return web.json_response({"status_code": "401", "error_messages": [
                "Access denied due to unauthorized transaction, please check client or server "
                "key"]}, status=401)
        return await handler(request)

    async def create_transaction(self, request: web.Request) -> web.Response:
        # Request: https://docs.midtrans.com/docs/snap-advanced-feature (transaction_details,
        # item_details, customer_details, expiry, callbacks); answer 201 {token, redirect_url}:
        # https://docs.midtrans.com/docs/snap-snap-integration-guide
        body = await request.json()
        details = body.get("transaction_details") or {}
        order_id, gross = details.get("order_id"), details.get("gross_amount")
        if not isinstance(order_id, str) or not isinstance(gross, int) or gross < 1:
            return web.json_response({"error_messages": [
                "transaction_details.gross_amount is required"]}, status=400)
        items = body.get("item_details") or []
        if items and sum(i["price"] * i["quantity"] for i in items) != gross:
            return web.json_response({"error_messages": [
                "transaction_details.gross_amount is not equal to the sum of item_details"]},
                status=400)
        if order_id in self.orders:     # single-use order ids: "order_id has been paid and
            # utilized, please use another order ID" (https://docs.midtrans.com/docs/error-code-
            # and-response-code); Snap's wording, HTTP 400:
            return web.json_response({"error_messages": [
                "transaction_details.order_id sudah digunakan"]}, status=400)
        token = f"snap-token-{len(self.orders):04d}"
        self.orders[order_id] = {"request": body, "token": token, "transaction": None}
        return web.json_response({"token": token, "redirect_url":
                                  f"{self.base}/snap/v4/redirection/{token}"}, status=201)

    def _statement(self, order_id: str) -> dict | None:
        order = self.orders.get(order_id)
        return order and order["transaction"]

    async def status(self, request: web.Request) -> web.Response:
        # https://docs.midtrans.com/reference-link/get-transaction-status; an order without a
        # transaction answers HTTP 200 with "status_code": "404"
        found = self._statement(request.match_info["order_id"])
        if found is None:
            return web.json_response({"status_code": "404",
                                      "status_message": "Transaction doesn't exist."})
        return web.json_response(found)

    async def refund(self, request: web.Request) -> web.Response:
        # https://docs.midtrans.com/reference-link/refund-transaction (refund_key, amount, reason)
        body = await request.json()
        key = body.get("refund_key")
        if key in self.refunds:
            return web.json_response(self.refunds[key])
        found = self._statement(request.match_info["order_id"])
        if found is None or found["transaction_status"] not in ("settlement", "capture"):
            return web.json_response({"status_code": "412", "status_message":
                                      "Merchant cannot modify the status of the transaction"})
        found["transaction_status"] = "refund"
        answer = {"status_code": "200", "status_message": "Success, refund request is approved",
                  "transaction_id": found["transaction_id"], "order_id": found["order_id"],
                  "gross_amount": found["gross_amount"], "currency": "IDR",
                  "transaction_status": "refund", "refund_amount": f"{body.get('amount')}.00",
                  "refund_key": key}
        self.refunds[key] = answer
        return web.json_response(answer)

    # -- what the customer and Midtrans do ---------------------------------------------------
    def pay(self, payment_id: str, amount: int | None = None, status: str = "settlement",
            fraud: str | None = "accept", payment_type: str = "qris") -> None:
        order = self.orders[payment_id]
        gross = order["request"]["transaction_details"]["gross_amount"] if amount is None \
            else amount
        code = STATUS_CODES[status]
        order["transaction"] = {
            "status_code": code, "status_message": "Success, transaction is found",
            "transaction_id": f"trx-{payment_id}", "order_id": payment_id,
            "gross_amount": f"{gross}.00", "currency": "IDR", "payment_type": payment_type,
            "transaction_time": "2026-11-21 10:00:00", "transaction_status": status,
            "fraud_status": fraud, "merchant_id": "G000000000",
            "signature_key": sign(payment_id, code, f"{gross}.00")}

    def expire(self, payment_id: str) -> None:
        self.pay(payment_id, status="expire", fraud=None)

    def notification(self, payment_id: str, key: str = SERVER_KEY,
                     **changes) -> tuple[bytes, dict]:
        """The HTTP notification Midtrans POSTs: the transaction as it is (changes applied),
        signed with `key`. https://docs.midtrans.com/docs/https-notification-webhooks"""
        body = {**self.orders[payment_id]["transaction"], **changes}
        body["signature_key"] = sign(body["order_id"], body["status_code"],
                                     body["gross_amount"], key)
        return json.dumps(body).encode(), {"Content-Type": "application/json"}
