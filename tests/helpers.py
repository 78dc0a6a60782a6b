"""Test helpers: signing webhooks like Meta does, and a small API client."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

ADMIN_TOKEN = "test-admin-token"
APP_SECRETS = ("test-app-secret", "rotated-app-secret")
VERIFY_TOKEN = "test-verify-token"
PAYMENT_SECRET = "test-payment-secret"
FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
PHONE_A = "109876543210987"      # samples' main number
PHONE_B = "110022334455667"      # second number in sample 08
PHONE_C = "123456789012345"      # another WABA's number in samples 08 and 10


def sample(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def sign(raw: bytes, secret: str = APP_SECRETS[0]) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def status_payload(phone: str, statuses: list[dict]) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
                                       "metadata": {"display_phone_number": "62811",
                                                    "phone_number_id": phone},
                                       "statuses": statuses}}]}]}


def status(wamid: str, state: str, category: str | None = "service", ts: int = 1795144627,
           recipient: str = "6281234567890") -> dict:
    out = {"id": wamid, "status": state, "timestamp": str(ts), "recipient_id": recipient}
    if category:
        out["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular",
                          "category": category}
    return out


def inbound_payload(phone: str, wamid: str, sender: str, ts: int) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
                                       "metadata": {"phone_number_id": phone},
                                       "contacts": [{"wa_id": sender}],
                                       "messages": [{"from": sender, "id": wamid,
                                                     "timestamp": str(ts), "type": "text",
                                                     "text": {"body": "halo"}}]}}]}]}


class Api:
    def __init__(self, client, clock) -> None:
        self.client = client
        self.clock = clock

    @staticmethod
    def auth(key: str) -> dict:
        return {"Authorization": f"Bearer {key}"}

    async def create_workspace(self, phones: list[str], billing_info: bool = True,
                               **extra) -> tuple[str, str]:
        """On a paid plan the workspace starts on it at once, as a complimentary first period
        (tests of other features need a Growth or Pro workspace); tests of the first invoice
        pass `complimentary=False` (tests/workspaces/test_workspace_first_invoice.py).
        Its billing information is filled (`BILLING_INFO`), as the help pages ask a customer to
        do before ordering; `billing_info=False` leaves it empty."""
        if extra.get("plan") not in (None, "free"):
            extra.setdefault("complimentary", True)
        resp = await self.client.post("/v1/workspaces", json={"name": "Toko Budi",
                                      "phone_number_ids": phones, **extra},
                                      headers=self.auth(ADMIN_TOKEN))
        assert resp.status == 201, await resp.text()
        body = await resp.json()
        ws, key = body["workspace"]["id"], body["api_key"]
        if billing_info:
            await fill_billing_info(self, ws, key)
        return ws, key

    async def webhook(self, payload: dict | bytes, secret: str = APP_SECRETS[0],
                      headers: dict | None = None):
        raw = payload if isinstance(payload, bytes) else json.dumps(copy.deepcopy(payload)).encode()
        hdrs = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)}
        hdrs.update(headers or {})
        return await self.client.post("/webhooks/whatsapp", data=raw, headers=hdrs)

    async def wallet(self, ws: str, key: str) -> dict:
        resp = await self.client.get(f"/v1/workspaces/{ws}/wallet", headers=self.auth(key))
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def amounts(self, ws: str, key: str) -> dict:
        """{"conversation": (granted, purchased, arrears), "broadcast": (...)}"""
        wallet = await self.wallet(ws, key)
        return {b: (wallet[b]["granted"]["amount"], wallet[b]["purchased"]["amount"],
                    wallet[b]["arrears"]["amount"]) for b in ("conversation", "broadcast")}

    async def reconcile(self) -> dict:
        resp = await self.client.get("/v1/admin/reconcile", headers=self.auth(ADMIN_TOKEN))
        assert resp.status == 200
        return await resp.json()


# --- WhatsApp billing test helpers (issue 2) ------------------------------------------------
FRESH = {"conversation": (15000, 0, 0), "broadcast": (0, 0, 0)}   # a new Free workspace


BILLING_INFO = {"legal_name": "PT Toko Budi Sejahtera", "billing_email": "finance@tokobudi.id",
                "phone": "+62 21 555 0100", "address": "Jl. Sudirman 1\nJakarta 10220",
                "npwp": "01.234.567.8-901.000"}


async def fill_billing_info(api: Api, ws: str, key: str, **changes) -> dict:
    resp = await api.client.put(f"/v1/workspaces/{ws}/billing-info",
                                json={**BILLING_INFO, **changes}, headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


def multi_status_payload(groups: list[tuple[str, list[dict]]]) -> dict:
    """One payload with one `messages` change per (phone_number_id, statuses) group."""
    changes = [status_payload(phone, statuses)["entry"][0]["changes"][0]
               for phone, statuses in groups]
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": changes}]}


async def usage_entries(api: Api, ws: str, key: str, **params) -> list[dict]:
    """Every usage entry (newest first), following next_cursor to the end."""
    entries: list[dict] = []
    query = {k: str(v) for k, v in params.items()}
    while True:
        resp = await api.client.get(f"/v1/workspaces/{ws}/wallet/usage", params=query,
                                    headers=api.auth(key))
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        entries += body["entries"]
        if not body["next_cursor"]:
            return entries
        query["cursor"] = body["next_cursor"]


async def charge_entries(api: Api, ws: str, key: str) -> list[dict]:
    """The entries that bill messages (kind charge or arrears), newest first."""
    entries = await usage_entries(api, ws, key, limit=500)
    return [e for e in entries if e["kind"] in ("charge", "arrears")]


async def assert_reconciled(api: Api) -> None:
    body = await api.reconcile()
    assert body["ok"] is True, body


async def patch_workspace(api: Api, ws: str, changes: dict):
    return await api.client.patch(f"/v1/workspaces/{ws}", json=changes,
                                  headers=api.auth(ADMIN_TOKEN))


async def unprocessed_payloads(log_db) -> int:
    """Stored webhook payloads not processed yet, in the WhatsApp log's database. (A find, not
    count_documents: NX-27017's count_documents miscounts a {field: None} filter.)"""
    return len([d async for d in
                log_db.wa_payloads.find({"processed_ms": {"$eq": None}}, {"_id": 1})])


# --- Top-ups, invoices and payments helpers (issue 3) ----------------------------------------
def sign_payment(raw: bytes, secret: str = PAYMENT_SECRET) -> str:
    """`X-Saldo-Signature` of a payment provider callback."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def payment_callback(payment_id: str, outcome: str = "succeeded", amount: int = 50_000,
                     currency: str = "IDR", event_id: str | None = None) -> bytes:
    return json.dumps({"payment_id": payment_id, "provider_reference": f"sbx_{payment_id}",
                       "status": outcome, "amount": amount, "currency": currency,
                       "event_id": event_id or f"evt_{payment_id}_{outcome}"}).encode()


async def post_payment_callback(api: Api, raw: bytes, signature: str | None = None,
                                provider: str = "sandbox"):
    headers = {"Content-Type": "application/json",
               "X-Saldo-Signature": signature if signature is not None else sign_payment(raw)}
    return await api.client.post(f"/webhooks/payments/{provider}", data=raw, headers=headers)


async def order_topup(api: Api, ws: str, key: str, balance: str = "conversation",
                      amount: object = 50_000, headers: dict | None = None):
    return await api.client.post(f"/v1/workspaces/{ws}/topups",
                                 json={"balance": balance, "amount": amount},
                                 headers={**api.auth(key), **(headers or {})})


async def topup(api: Api, ws: str, key: str, balance: str = "conversation",
                amount: int = 50_000) -> dict:
    """Order a top-up; → the 201 body {topup, invoice, payment}."""
    resp = await order_topup(api, ws, key, balance, amount)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def press_pay(api: Api, payment_id: str, button: str = "pay"):
    """What the sandbox checkout page's Pay (or Fail) button does."""
    return await api.client.post(f"/sandbox/checkout/{payment_id}/{button}")


def app_services(api: Api):
    from service.runtime.context import SERVICES
    return api.client.server.app[SERVICES]


async def failed_payloads(log_db) -> list[dict]:
    """Stored webhook payloads whose processing raised (the handler still answered 200), in the
    WhatsApp log's database."""
    return [d async for d in log_db.wa_payloads.find({"last_error": {"$exists": True}},
                                                 {"last_error": 1})]


async def claim_paid(db, invoice_id: str, payment_id: str, succeeded_at, now):
    """Steps 1-2 of a success callback (service/payments/settlement.py), its fulfilment left for
    later: the payment succeeds (unresolved, as step 1 leaves it), then claims its invoice.
    Claiming alone would leave a paid invoice whose payment never succeeded, which reconcile
    reports (issue 18)."""
    from service.invoices.invoices import claim_paid as claim
    payment = await db.payments.find_one({"_id": payment_id})
    # a replace: NX-27017 stores a datetime written by $set as a string
    await db.payments.replace_one({"_id": payment_id}, {
        **payment, "status": "succeeded", "succeeded_at": succeeded_at, "resolved": False})
    return await claim(db, invoice_id, payment_id, succeeded_at, now)


async def account_credit(api: Api, ws: str, key: str) -> tuple[int, list[int]]:
    """(the workspace's rupiah account credit, its credits' amounts oldest first)."""
    resp = await api.client.get(f"/v1/workspaces/{ws}/credit", params={"limit": 500},
                                headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    balance = sum(b["amount"] for b in body["balances"] if b["currency"] == "IDR")
    return balance, [e["amount"]["amount"] for e in reversed(body["entries"])
                     if e["kind"] == "credit"]
