"""Gapless invoice numbers without transactions.

The invoice document is inserted first (code null). Then one atomic update of the year's counter
`{_id: "invoice:2026", n, recent}` both takes the next number (`$inc n`) and records who took it
(`$push recent`, the last WINDOW invoice ids, oldest first: recent[-1] took n). Finally the code
is written on the invoice (only if it has none), in the replace that completes the invoice's
settlement (service/payments/orders.py).

- Concurrency: `$inc` hands out distinct consecutive numbers; the update is guarded by
  `recent $nin [invoice]`, so one invoice never takes two numbers even when a request and the
  sweep number it at the same time.
- Crash between the counter update and the code write: the number is not lost. The invoice has
  no code; the sweep (or a retry of the same request) finds its id in `recent` and writes the
  number it already took. A gap needs that crash AND more than WINDOW later numbers of that
  year before any sweep (start-up runs one at once).
- No invoice document, no number: a request that dies before inserting the invoice takes none.
- A block for a flush (billing pass, on its grouped database): the invoices numbered at once
  take their numbers in one update, `$nin` all of them, `$inc n` by their count and `$push`
  them in order, so recent[-k:] are theirs and each reads its own number from `recent` as
  above: the same document, the same atomic update, the same crash recovery (every invoice of
  the block exists before it, and its id is in `recent` after it). If any of them was
  numbered already (the guard fails), each takes its number alone, as above.
"""
from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from billing.invoices import invoice_code, number_in_window
from service.invoices.records import Invoice
from service.mongo.grouped import GroupedDatabase

WINDOW = 1000
BLOCK = 100                 # invoices numbered in one update at most (well within WINDOW)


class NumberLost(RuntimeError):
    """The invoice took a number that fell out of the window: a gap (see module doc)."""


async def code_of(db: AsyncDatabase, invoice: Invoice) -> tuple[str, int | None]:
    """The invoice's code and number: its own, or the next number of its year (taken once)."""
    if invoice.code:
        return invoice.code, invoice.number
    number = await take_number(db, invoice.year, invoice.id)
    return invoice_code(invoice.year, number), number


async def take_number(db: AsyncDatabase | GroupedDatabase, year: int, invoice_id: str) -> int:
    """The next number of `year` for the invoice (or the one it took already): in a billing
    pass, one update for the invoices numbered together (`_take_block`), else `_take_one`."""
    if not isinstance(db, GroupedDatabase):
        return await _take_one(db, year, invoice_id)
    number = await db.batch("invoice_numbers", _take_block, BLOCK).submit(invoice_id, year)
    if isinstance(number, Exception):
        raise number
    return number


async def _take_block(db: AsyncDatabase, year: int, invoice_ids: list[str]) -> list:
    """→ per invoice, its number (or the NumberLost it met)."""
    ids = list(dict.fromkeys(invoice_ids))
    try:
        doc = await db.counters.find_one_and_update(
            {"_id": f"invoice:{year}", "recent": {"$nin": ids}},
            {"$inc": {"n": len(ids)}, "$push": {"recent": {"$each": ids, "$slice": -WINDOW}}},
            upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:
        doc = None
    numbers: dict[str, int | Exception] = {}
    for invoice_id in ids:
        number = number_in_window(doc["n"], doc["recent"], invoice_id) if doc else None
        if number is None:          # the guard failed (one was numbered already): alone
            try:
                number = await _take_one(db, year, invoice_id)
            except (NumberLost, RuntimeError) as exc:
                number = exc
        numbers[invoice_id] = number
    return [numbers[i] for i in invoice_ids]


async def _take_one(db: AsyncDatabase, year: int, invoice_id: str) -> int:
    """One `findAndModify` (upserting the year's counter on its first number). A duplicate key
    means the counter exists and already lists this invoice (or was created concurrently):
    the number is then read from `recent`, or taken again."""
    counter_id = f"invoice:{year}"
    for _ in range(5):
        try:
            doc = await db.counters.find_one_and_update(
                {"_id": counter_id, "recent": {"$nin": [invoice_id]}},
                {"$inc": {"n": 1},
                 "$push": {"recent": {"$each": [invoice_id], "$slice": -WINDOW}}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            doc = None
        if doc is None:
            # MongoDB raises a duplicate key here; NX-27017 returns None instead.
            doc = await db.counters.find_one({"_id": counter_id})
            if doc is None or invoice_id not in doc["recent"]:
                continue  # created concurrently: take a number from it
        number = number_in_window(doc["n"], doc["recent"], invoice_id)
        if number is None:
            raise NumberLost(f"invoice {invoice_id}'s number left the window of {WINDOW}")
        return number
    raise RuntimeError(f"invoice counter {counter_id} could not be updated")
