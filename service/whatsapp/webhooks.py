"""WhatsApp webhook pipeline: process a verified payload, then store it raw and durably with its
summary (unmarked if processing failed); a sweep re-processes what was left unprocessed and
charges messages whose category never came."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from billing.errors import NotFound
from billing.whatsapp import parse_payload
from service.mongo.store import STORE_DOWN
from service.runtime import json_body
from service.runtime.context import Services
from service.whatsapp.charge import charge_events, charge_overdue
from service.whatsapp.payloads import MAX_ATTEMPTS, payload_key

log = logging.getLogger("saldo.webhooks")
REPROCESS_AFTER = timedelta(minutes=1)
STALE_AFTER = timedelta(seconds=30)      # a wallet writer finalizes its entries within this
FINALIZE_WINDOW = timedelta(hours=1)     # wallets the periodic sweep looks at


async def receive(svc: Services, raw: bytes, now: datetime) -> str:
    """Called with a verified body. Returns once the payload is durable (and, normally,
    processed). A processing failure is logged and left to the sweep: Meta gets its 200.
    → `processed`, `duplicate` (processed before) or `deferred` (left to the sweep).

    The body is stored after processing, carrying its summary: one insert instead of an
    insert and a later processing mark. It is still durable before the 200. A crash before
    it is stored sends no 200, so Meta sends the body again, and the same path processes it
    again idempotently (every write is keyed: message records by wamid, charges by ledger
    key, unrouted events by payload id). A processing failure stores it unmarked, as before,
    for the sweep to process again."""
    payload = json_body.decode_object(raw)
    payload_id = payload_key(raw)
    if svc.whatsapp.stored_lately(payload_id) and await svc.whatsapp.processed_before(
            payload_id):
        return "duplicate"
    failure: Exception | None = None
    try:
        summary = await _charge(svc, payload_id, payload, now)
    except Exception as exc:
        failure = exc
    del payload                      # the 4 MiB bound: not held while the body is stored
    if failure is None:
        stored = await svc.whatsapp.store_processed(raw, now, summary, payload_id)
        return "processed" if stored else "duplicate"
    if (await svc.whatsapp.store_payload(raw, now))[1]:
        return "duplicate"           # processed before; this attempt's failure changes nothing
    await _failed(svc, payload_id, failure, now)
    return "deferred"


async def _failed(svc: Services, payload_id: str, exc: Exception, now: datetime) -> None:
    """Count the failure on the stored payload. The stack trace is logged at the first failure
    only; later ones are one line each, and the last one parks the payload. A store that
    cannot be reached is no fault of the payload: not counted, so an outage parks nothing."""
    if isinstance(exc, STORE_DOWN):
        log.warning("payload %s stored but not processed: the store cannot be reached (%r); "
                    "the sweep will retry", payload_id, exc)
        return
    attempts = await svc.whatsapp.note_failure(payload_id, repr(exc), now)
    if attempts >= MAX_ATTEMPTS:
        log.error("payload %s parked after %d failed attempts: %r (GET /v1/admin/webhooks/parked)",
                  payload_id, attempts, exc)
    else:
        log.warning("payload %s stored but not processed (attempt %d of %d): %r; the sweep "
                    "will retry", payload_id, attempts, MAX_ATTEMPTS, exc,
                    exc_info=exc if attempts <= 1 else None)


async def process(svc: Services, payload_id: str, payload: dict, now: datetime) -> None:
    """Process a stored payload (sweep, parked retry) and mark it processed."""
    await svc.whatsapp.mark_processed(payload_id, now,
                                      await _charge(svc, payload_id, payload, now))


async def _charge(svc: Services, payload_id: str, payload: dict, now: datetime) -> dict:
    """Record and charge a payload's events. → its processing summary."""
    result = await charge_events(parse_payload(payload), payload_id, log=svc.whatsapp,
                                 routing=svc.routing, ledger=svc.ledger, now=now)
    return {"statuses": result.statuses, "inbound": result.inbound,
            "charged": len(result.charged), "waiting": len(result.waiting_for_category),
            "unrouted": result.unrouted}


async def sweep(svc: Services, *, everything: bool = False) -> dict:
    """Recover after crashes and charge overdue messages. Safe to run at any time, anywhere."""
    now = svc.clock.now()
    cutoff = now + timedelta(seconds=1) if everything else now - REPROCESS_AFTER
    reprocessed = 0
    for stored in await svc.whatsapp.unprocessed(cutoff):
        try:
            await process(svc, stored.id, json_body.decode_object(stored.body), now)
            reprocessed += 1
        except Exception as exc:
            await _failed(svc, stored.id, exc, now)
    since = datetime.min.replace(tzinfo=timezone.utc) if everything else now - FINALIZE_WINDOW
    until = now + timedelta(seconds=1) if everything else now - STALE_AFTER
    finalized = await svc.ledger.finalize_recent(since, until, resume=not everything)
    overdue = await charge_overdue(log=svc.whatsapp, routing=svc.routing, ledger=svc.ledger,
                                   now=now, grace=svc.settings.category_grace)
    return {"reprocessed": reprocessed, "wallets_finalized": finalized,
            "fallback_charged": len(overdue.charged)}


async def retry_parked(svc: Services, payload_id: str, now: datetime) -> bool:
    """An admin re-queues a parked payload (its cause fixed): it is processed at once, and if
    it fails again it gets `MAX_ATTEMPTS` more tries from the sweep. → processed now."""
    stored = await svc.whatsapp.unpark(payload_id)
    if stored is None:
        raise NotFound("No parked payload with this id")
    try:
        await process(svc, stored.id, json_body.decode_object(stored.body), now)
    except Exception as exc:
        await _failed(svc, payload_id, exc, now)
        return False
    return True
