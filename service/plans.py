"""The three plans, seeded idempotently at start-up. Editable later by the admin."""
from __future__ import annotations

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from billing.rates import BROADCAST_PRICE, KNOWN_BROADCAST_CATEGORIES, REPLY_PRICE

_DEFAULT_RATES = {
    **{c: {"amount": REPLY_PRICE.amount, "currency": "IDR"} for c in ("service", "referral_conversion")},
    **{c: {"amount": BROADCAST_PRICE.amount, "currency": "IDR"} for c in KNOWN_BROADCAST_CATEGORIES},
}


def _plan(plan_id: str, name: str, prices: tuple[int, int, int], grant: int, users: int,
          contacts: int, broadcasts: int, rank: int) -> dict:
    monthly, quarterly, yearly = prices
    return {
        "_id": plan_id, "name": name, "rank": rank,
        "prices": {"monthly": {"amount": monthly, "currency": "IDR"},
                   "quarterly": {"amount": quarterly, "currency": "IDR"},
                   "yearly": {"amount": yearly, "currency": "IDR"}},
        "conversation_grant": {"amount": grant, "currency": "IDR"},
        "grant_rolls_over": False,
        "limits": {"users": users, "contacts": contacts, "broadcast_quota": broadcasts},
        "rates": dict(_DEFAULT_RATES),
    }


SEED_PLANS = [
    _plan("free", "Free", (0, 0, 0), 15_000, 1, 500, 0, 0),
    _plan("growth", "Growth", (299_000, 849_000, 2_990_000), 30_000, 5, 10_000, 5_000, 1),
    _plan("pro", "Pro", (599_000, 1_699_000, 5_990_000), 60_000, 15, 50_000, 25_000, 2),
]


async def seed_plans(db: AsyncDatabase) -> None:
    """Insert missing plans; never overwrite what an admin edited."""
    ops = [UpdateOne({"_id": p["_id"]}, {"$setOnInsert": {k: v for k, v in p.items() if k != "_id"}},
                     upsert=True) for p in SEED_PLANS]
    await db.plans.bulk_write(ops, ordered=False)
