"""Plans as data: the three plans seeded idempotently at start-up, reads, admin edits, and the
change policy table (a `billing_policy` document)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Iterable, Mapping

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from billing.plans import PlanTerms, plan_not_found, validate_plan
from billing.rates import BROADCAST_PRICE, KNOWN_BROADCAST_CATEGORIES, REPLY_PRICE
from billing.subscriptions import DEFAULT_POLICY, PolicyRule
from billing.money import Money
from service.mongo.docs import money_from_doc, money_to_doc
from service.runtime.context import Services

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


async def missing_plans(db: AsyncDatabase) -> list[str]:
    """The seeded plans not in the store (one find): seeding them changes routes."""
    found = {d["_id"] async for d in db.plans.find(
        {"_id": {"$in": [p["_id"] for p in SEED_PLANS]}}, {"_id": 1})}
    return [p["_id"] for p in SEED_PLANS if p["_id"] not in found]


async def seed_plans(db: AsyncDatabase) -> None:
    """Insert missing plans; never overwrite what an admin edited."""
    ops = [UpdateOne({"_id": p["_id"]}, {"$setOnInsert": {k: v for k, v in p.items() if k != "_id"}},
                     upsert=True) for p in SEED_PLANS]
    await db.plans.bulk_write(ops, ordered=False)


# --- reads and admin edits (issue 4) ---------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """A plan as the admin edits it: its terms and its WhatsApp rates by category."""
    terms: PlanTerms
    rates: Mapping[str, Money]


def _plan_record(doc: dict) -> Plan:
    return Plan(plan_from_doc(doc), _plan_record_rates(doc))


def _plan_record_rates(doc: dict) -> dict[str, Money]:
    return {c: money_from_doc(m) for c, m in (doc.get("rates") or {}).items()}


def plan_from_doc(doc: dict) -> PlanTerms:
    return PlanTerms.from_data({**doc, "id": doc["_id"]})


def plan_to_doc(plan: PlanTerms, rates: dict) -> dict:
    return {"name": plan.name, "rank": plan.rank,
            "prices": {u: money_to_doc(p) for u, p in plan.prices.items()},
            "conversation_grant": money_to_doc(plan.grant), "grant_rolls_over": plan.rolls_over,
            "limits": dict(plan.limits), "rates": rates}


async def load_plans(db: AsyncDatabase) -> dict[str, PlanTerms]:
    return {d["_id"]: plan_from_doc(d) async for d in db.plans.find().sort("rank", 1)}


async def list_plans(svc: Services) -> list[Plan]:
    return [_plan_record(d) async for d in svc.db.plans.find().sort("rank", 1)]


async def plan_rates(db: AsyncDatabase, plan_ids: Iterable[str]) -> dict[str, dict[str, Money]]:
    """The WhatsApp rates of those of these plans that exist (for the rate card)."""
    return {d["_id"]: _plan_record_rates(d) async for d in
            db.plans.find({"_id": {"$in": list(plan_ids)}})}


async def get_plan(svc: Services, plan_id: str) -> Plan:
    """A plan named in the path: 404 plan_not_found if there is none."""
    doc = await svc.db.plans.find_one({"_id": plan_id})
    if doc is None:
        raise plan_not_found(plan_id, None)
    return _plan_record(doc)


async def put_plan(svc: Services, plan: PlanTerms, rates: dict, now: datetime) -> Plan:
    """Create or replace a plan (admin). Existing subscriptions see new prices at their next
    invoice; the grant of a period already granted does not change."""
    validate_plan(plan)
    # A replace keeps datetime types on NX-27017; its upsert needs the _id in the document.
    doc = {"_id": plan.id, **plan_to_doc(plan, rates), "updated_at": now}
    async with svc.routing.changing():      # its rates are part of its workspaces' routes
        await svc.db.plans.replace_one({"_id": plan.id}, doc, upsert=True)
    return await get_plan(svc, plan.id)


# --- the change policy table, a document editable by the admin -------------------------------

POLICY_ID = "change_policy"


def policy_from_doc(doc: dict | None) -> tuple[PolicyRule, ...]:
    if not doc or not doc.get("rules"):
        return DEFAULT_POLICY
    return tuple(PolicyRule(**r) for r in doc["rules"])


async def load_policy(svc: Services) -> tuple[PolicyRule, ...]:
    return policy_from_doc(await svc.db.billing_policy.find_one({"_id": POLICY_ID}))


async def put_policy(svc: Services, rules: list[PolicyRule], now: datetime) -> None:
    await svc.db.billing_policy.replace_one(
        {"_id": POLICY_ID},
        {"_id": POLICY_ID, "rules": [asdict(r) for r in rules], "updated_at": now}, upsert=True)
