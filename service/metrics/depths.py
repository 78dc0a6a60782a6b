"""Queue depths read when `/metrics` is scraped: what waits for a sweep, an operator or a
refund. Like reconciliation, this reads other features' collections on purpose, read only,
each with the filter its owner's sweep uses (named beside it).

Cost is bounded: each is one find of ids on an index of its collection (equalities written
explicitly: service/mongo/filters.py; not `count_documents`: service/mongo/counts.py), stopped
at `CAP` matches; a gauge at `CAP` means "at least". Seven commands per scrape, none on the
request path. Messages waiting for their category are those the WhatsApp sweep would charge
once the category grace (10 minutes) is over: its indexed `awaiting_ms` query, whatever their
age (one the sweep failed to charge stays counted).
"""
from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from service.metrics.registry import Depth
from service.mongo.counts import count_upto
from service.mongo.filters import explicit
from service.runtime.context import Services

CAP = 10_000


def counter(collection: AsyncCollection, query: dict):
    async def read() -> int:
        return await count_upto(collection, query, CAP)
    return read


def builtin(svc: Services, now: datetime) -> list[tuple[Depth, dict[str, str]]]:
    """(depth, its labels) of the service's own queues at `now`."""
    db = svc.db
    out = [
        # service/payments/payments.py: the admin's needs_refund list; pending: awaiting money
        (Depth("saldo_payments", "Payments now in a state (pending, needs_refund)",
               counter(db.payments, explicit({"status": "pending"}))), {"state": "pending"}),
        (Depth("saldo_payments", "", counter(db.payments, explicit({"status": "needs_refund"}))),
         {"state": "needs_refund"}),
        # payments.unresolved_ids: a status whose consequences are not applied yet (sweep)
        (Depth("saldo_payments_unresolved", "Payments whose status is not applied yet (the "
               "payment sweep re-drives them)", counter(db.payments, explicit({"resolved": False}))),
         {}),
        # invoices.unsettled: paid or closed, its order not settled yet (sweep)
        (Depth("saldo_invoices_unsettled", "Invoices whose order is not settled yet (the payment "
               "sweep re-drives them)", counter(db.invoices, explicit({"settled": False}))), {}),
        # service/outbound/repository.py: a pending delivery has `due_ms` (its next attempt)
        (Depth("saldo_webhook_deliveries_pending", "Outbound webhook deliveries waiting for "
               "their first or next attempt", counter(db.webhook_deliveries,
                                                       {"due_ms": {"$gte": 0}})), {}),
    ]
    if svc.whatsapp is not None:
        log = svc.whatsapp.db
        out += [
            # payloads.unprocessed (the WhatsApp sweep) and payloads.parked (the admin's list)
            (Depth("saldo_whatsapp_payloads", "WhatsApp payloads stored and not processed: "
                   "unprocessed (the sweep retries), parked (failed 5 times)",
                   counter(log.wa_payloads, {"processed_ms": None, "parked_ms": None})),
             {"state": "unprocessed"}),
            (Depth("saldo_whatsapp_payloads", "", counter(
                log.wa_payloads, {"parked_ms": {"$gte": 0}, "processed_ms": None})),
             {"state": "parked"}),
            # log.awaiting_charge: its indexed `awaiting_ms`, less those it drops (a category
            # or charge came): delivered, no pricing category yet, not charged, however old
            (Depth("saldo_whatsapp_messages_awaiting_category", "Messages delivered whose "
                   "pricing category has not come and that are not charged yet (after the "
                   "grace the sweep charges them by the 24-hour rule)",
                   counter(log.wa_messages, {"awaiting_ms": {"$gte": 0}, "charge_key": None,
                                             "category": None})),
             {}),
        ]
    return out
