"""Gapless invoice numbers without transactions.

The invoice document is inserted first (code null). Then one atomic update of the year's counter
`{_id: "invoice:2026", n, recent}` both takes the next number (`$inc n`) and records who took it
(`$push recent`, the last WINDOW invoice ids, oldest first: recent[-1] took n). Finally the code
is written on the invoice (only if it has none).

- Concurrency: `$inc` hands out distinct consecutive numbers; the update is guarded by
  `recent $nin [invoice]`, so one invoice never takes two numbers even when a request and the
  sweep number it at the same time.
- Crash between the counter update and the code write: the number is not lost. The invoice has
  no code; the sweep (or a retry of the same request) finds its id in `recent` and writes the
  number it already took. A gap needs that crash AND more than WINDOW later numbers of that
  year before any sweep (start-up runs one at once).
- No invoice document, no number: a request that dies before inserting the invoice takes none.
"""
from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from billing.invoices import invoice_code, number_in_window
from service.mongo.revisions import BUMP

WINDOW = 1000


class NumberLost(RuntimeError):
    """The invoice took a number that fell out of the window: a gap (see module doc)."""


async def assign_code(db: AsyncDatabase, invoice: dict) -> dict:
    """Give a code-less invoice its code; return the stored invoice."""
    if invoice.get("code"):
        return invoice
    number = await take_number(db, invoice["year"], invoice["_id"])
    code = invoice_code(invoice["year"], number)
    await db.invoices.update_one({"_id": invoice["_id"], "code": None},
                                 {"$set": {"code": code, "number": number}, **BUMP})
    return await db.invoices.find_one({"_id": invoice["_id"]})


async def take_number(db: AsyncDatabase, year: int, invoice_id: str) -> int:
    counter_id = f"invoice:{year}"
    for _ in range(5):
        doc = await db.counters.find_one_and_update(
            {"_id": counter_id, "recent": {"$nin": [invoice_id]}},
            {"$inc": {"n": 1}, "$push": {"recent": {"$each": [invoice_id], "$slice": -WINDOW}}},
            return_document=ReturnDocument.AFTER)
        if doc is None:  # no counter yet, or this invoice already took its number
            doc = await db.counters.find_one({"_id": counter_id})
            if doc is None:
                await db.counters.update_one({"_id": counter_id},
                                             {"$setOnInsert": {"n": 0, "recent": []}}, upsert=True)
                continue
            if invoice_id not in doc["recent"]:
                continue  # another request created the counter after our update missed it
        number = number_in_window(doc["n"], doc["recent"], invoice_id)
        if number is None:
            raise NumberLost(f"invoice {invoice_id}'s number left the window of {WINDOW}")
        return number
    raise RuntimeError(f"invoice counter {counter_id} could not be created")
