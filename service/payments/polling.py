"""Asking the gateways, from the payments sweep (service/payments/settlement.sweep):

- **lost callbacks**: a gateway payment still pending `POLL_AFTER` after it was opened is asked
  about with the gateway's status API (at most once per `POLL_AFTER`); what the gateway says is
  applied exactly as a confirmed callback is (settlement.apply_statement), so a payment whose
  callback never came is credited once, and one whose callback comes later changes nothing more;
- **links never opened**: a payment stored while its gateway was down gets its link.

A gateway that does not answer is left alone for the rest of the pass (its first
GatewayUnavailable), so one outage costs a pass at most SALDO_GATEWAY_TIMEOUT per gateway.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from billing.errors import BillingError, GatewayUnavailable
from billing.invoices import payable
from service.invoices import invoices
from service.payments import payments, refunds, settlement
from service.runtime.context import Services

log = logging.getLogger("saldo.payments")
GATEWAYS = ("xendit", "midtrans")     # providers with a status API (the sandbox has none)
POLL_AFTER = timedelta(minutes=5)
REOPEN_AFTER = timedelta(minutes=1)
BATCH = 100


async def poll_pending(svc: Services, now: datetime) -> int:
    """→ how many pending payments the gateways said were paid or failed (and were applied)."""
    names = [n for n in GATEWAYS if n in svc.providers]
    if not names:
        return 0
    down: set[str] = set()
    applied = 0
    for payment in await payments.to_poll(svc.db, names, now - POLL_AFTER, now - POLL_AFTER,
                                          BATCH):
        if payment.provider in down:
            continue
        try:
            statement = await svc.providers[payment.provider].status(
                payment.id, payment.provider_reference)
        except GatewayUnavailable:
            down.add(payment.provider)
            continue
        except BillingError:
            log.exception("the %s status of %s is unreadable", payment.provider, payment.id)
            continue
        if statement is None or statement.payment_id != payment.id:   # not paid there (yet)
            await payments.mark_polled(svc.db, payment, now)
            continue
        raw = json.dumps({"source": "status_poll", "status": statement.status,
                          "provider_reference": statement.provider_reference,
                          "amount": statement.amount.to_dict()}).encode()
        await payments.record_callback(svc.db, payment.provider, statement, raw, now)
        try:
            await settlement.apply_statement(svc, payment, statement, now)
            applied += 1
        except BillingError:          # e.g. another amount: recorded, logged, not credited
            await payments.mark_polled(svc.db, payment, now)
            log.exception("the %s status of %s was not applied", payment.provider, payment.id)
    return applied


async def reopen_links(svc: Services, now: datetime) -> int:
    """→ how many payments stored while their gateway was down got their link."""
    down: set[str] = set()
    opened = 0
    for payment in await payments.unopened(svc.db, now - REOPEN_AFTER, BATCH):
        provider = svc.providers.get(payment.provider)
        if provider is None or payment.provider in down:
            continue
        invoice = await invoices.get(svc.db, payment.invoice_id)
        if invoice.payment_id != payment.id or \
                not payable(invoice.status, invoice.expires_at, now):
            continue
        done = await payments.open_payment(svc.db, provider, invoice, now)
        if done.checkout_url is None:
            down.add(payment.provider)
        else:
            opened += 1
    return opened


async def sweep(svc: Services, *, everything: bool = False) -> dict:
    """The payments sweep with the gateways asked first (a payment paid while its callback was
    lost is applied before its invoice's expiry is considered), then `settlement.sweep`. At
    start-up (`everything`) only the crash recovery runs: a gateway that is down must not
    delay the start."""
    asked = {}
    if not everything:
        now = svc.clock.now()
        asked = {"payments_polled": await poll_pending(svc, now),
                 "payment_links_opened": await reopen_links(svc, now),
                 "refunds_finished": await refunds.recheck_pending(svc, now)}
    return {**await settlement.sweep(svc, everything=everything), **asked}
