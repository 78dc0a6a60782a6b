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

    async def create_workspace(self, phones: list[str], **extra) -> tuple[str, str]:
        resp = await self.client.post("/v1/workspaces", json={"name": "Toko Budi",
                                      "phone_number_ids": phones, **extra},
                                      headers=self.auth(ADMIN_TOKEN))
        assert resp.status == 201, await resp.text()
        body = await resp.json()
        return body["workspace"]["id"], body["api_key"]

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
