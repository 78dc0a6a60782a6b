"""The demo of `make run` (SALDO_DEMO=1, development defaults only): after start-up, a workspace
"Toko Demo" on Growth with billing information, some usage (charged replies and a broadcast
through the WhatsApp webhook use case), paid top-ups, a top-up left waiting for payment, and a
fresh portal link printed for it, so a newcomer opens the portal right after `make run`.

Only when SALDO_PAYMENT_PROVIDER is the sandbox and the admin token is the Makefile's `dev-admin`:
with real secrets nothing is seeded, whatever SALDO_DEMO says. Everything goes through the same
use cases as the API, and every step is idempotent, so restarts (or a restart after a crash half
way) leave one demo workspace with the same money: the workspace is found again by the phone
number id it claims (DEMO_PHONE; a claim is unique, so two processes cannot both create it), the
top-ups are placed with seeds derived from the workspace (a repeat resumes the same order), and
the webhook payload is the same bytes each time (stored and charged once)."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime
from typing import AsyncIterator

from aiohttp import web

from billing.billing_info import BillingInfo
from billing.errors import Conflict
from billing.money import Money
from service.payments.sandbox_checkout import press
from service.portal.sessions import create_link
from service.runtime.context import SERVICES, Services
from service.runtime.settings import Settings
from service.topups.topups import order_topup
from service.whatsapp import webhooks
from service.workspaces.billing_info import put_billing_info
from service.workspaces.lookup import phone_owners, workspace_by_id
from service.workspaces.onboarding import open_workspace
from service.workspaces.records import Workspace
from service.workspaces.workspaces import Principal

log = logging.getLogger("saldo.demo")
NAME = "Toko Demo"
DEMO_PHONE = "100000000000001"        # the demo workspace's WhatsApp phone number id
DEV_ADMIN_TOKEN = "dev-admin"         # the Makefile's default (README: The two commands)
INFO = BillingInfo(legal_name="PT Toko Demo Sejahtera", billing_email="finance@tokodemo.id",
                   phone="+62 21 555 0199", address="Jl. Thamrin 10\nJakarta 10230",
                   npwp="09.876.543.2-109.000")


def enabled(settings: Settings) -> bool:
    return (settings.demo and settings.payment_provider == "sandbox"
            and hmac.compare_digest(settings.admin_token.encode(), DEV_ADMIN_TOKEN.encode()))


async def seed_demo(svc: Services, now: datetime) -> Workspace:
    """The demo workspace with its usage, top-ups and invoices (once; a repeat changes nothing)."""
    workspace = await _workspace(svc, now)
    workspace = await put_billing_info(svc, workspace, INFO)
    await _topup(svc, workspace, "broadcast", 100_000, "broadcast", now, pay=True)
    await _topup(svc, workspace, "conversation", 50_000, "conversation", now, pay=True)
    await webhooks.receive(svc, _usage(workspace), now)
    await _topup(svc, workspace, "conversation", 250_000, "pending", now, pay=False)
    return workspace


async def demo_link(svc: Services, now: datetime) -> str:
    """Seed the demo, then a fresh single-use portal link for it (absolute)."""
    workspace = await seed_demo(svc, now)
    link = await create_link(svc, workspace.id, locale="id", return_url=None, now=now)
    base = svc.settings.public_url.rstrip("/") or f"http://localhost:{svc.settings.port}"
    return f"{base}/portal/open/{link.url_token}"


async def _workspace(svc: Services, now: datetime) -> Workspace:
    for _ in range(2):
        owner = (await phone_owners(svc.db, [DEMO_PHONE])).get(DEMO_PHONE)
        if owner is not None:
            return await workspace_by_id(svc, owner)
        try:
            opened = await open_workspace(svc, Principal("admin"), name=NAME,
                                          phone_number_ids=[DEMO_PHONE], plan="growth",
                                          reseller_id=None, complimentary=True, now=now)
            return opened.workspace
        except Conflict:      # another process claimed the phone first: use its workspace
            continue
    raise RuntimeError("the demo workspace could not be created or found")


def _seed(workspace: Workspace, label: str, k: int) -> str:
    """A seed shaped like service.runtime.ids.new_seed, fixed for this workspace and step."""
    created = workspace.created_at or datetime.fromtimestamp(0)
    digest = hashlib.sha256(f"{workspace.id}:{label}".encode()).hexdigest()[:16]
    return f"{int(created.timestamp() * 1000) + k:013d}{digest}"


async def _topup(svc: Services, workspace: Workspace, balance: str, amount: int, label: str,
                 now: datetime, *, pay: bool) -> None:
    k = {"broadcast": 1, "conversation": 2, "pending": 3}[label]
    placed = await order_topup(svc, workspace, balance, Money.idr(amount),
                               _seed(workspace, label, k), now)
    payment = placed.payment
    if pay and payment is not None and payment.status == "pending" \
            and placed.invoice.status == "pending":
        try:
            await press(svc, payment.id, "succeeded", now)
        except Conflict:      # paid already (a restart after a crash between the two steps)
            pass


def _usage(workspace: Workspace) -> bytes:
    """Three delivered replies (Rp30 each) and a delivered marketing broadcast (Rp650)."""
    ts = str(int((workspace.created_at or datetime.fromtimestamp(0)).timestamp()))

    def status(n: int, category: str) -> dict:
        return {"id": f"wamid.demo.{workspace.id}.{n}", "status": "delivered", "timestamp": ts,
                "recipient_id": f"62812000000{n:02d}",
                "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                            "category": category}}
    statuses = [status(1, "service"), status(2, "service"), status(3, "service"),
                status(4, "marketing")]
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "DEMO", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000001", "phone_number_id": DEMO_PHONE},
            "statuses": statuses}}]}]}).encode()


def demo_context(settings: Settings):
    """A cleanup context (after the store's) that seeds the demo and prints its link."""
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        if settings.demo and not enabled(settings):
            log.warning("SALDO_DEMO ignored: only with the development defaults of `make run`")
        elif enabled(settings):
            svc = app[SERVICES]
            try:
                link = await demo_link(svc, svc.clock.now())
            except Exception:    # the service runs on without its demo
                log.exception("the demo workspace could not be seeded")
            else:
                print(f"\nDemo workspace '{NAME}': open the customer portal (single use, "
                      f"{int(settings.portal_link_ttl.total_seconds() // 60)} minutes):\n"
                      f"  {link}\nAgency panel: {link.split('/portal/')[0]}/panel/signin "
                      f"(sign in with the admin token)\n"
                      f"Admin API token: {settings.admin_token}\n", flush=True)
        yield
    return ctx
