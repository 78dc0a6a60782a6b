"""Workspaces, API keys and tenancy. Keys are random, shown once, stored as SHA-256 hashes."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from billing import ledger_keys
from billing.errors import (ComplimentaryNeedsPaidPlan, Conflict, NotFound, PaymentRequired,
                            Unauthorized, ValidationFailed)
from billing.money import Money
from billing.periods import first_period
from billing.plans import FREE_PLAN, PlanTerms, plan_not_found
from billing.rates import check_categories
from billing.wallet import LedgerIntent
from service.events.emit import TENANTS
from service.runtime import ids
from service.runtime.context import Services
from service.subscriptions import state as subscription_state
from service.subscriptions.plans import load_plans
from service.subscriptions.records import Gift
from service.workspaces.records import ApiKey, PhoneClaim, Workspace
from service.workspaces.repository import ApiKeys, PhoneNumbers, Resellers, Workspaces

DEFAULT_ARREARS_LIMIT = Money.idr(15_000)
ORPHAN_CLAIM_AGE_MS = 60_000


@dataclass(frozen=True)
class Principal:
    role: str                      # admin | reseller | workspace
    workspace_id: str | None = None
    reseller_id: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def authenticate(svc: Services, header: str | None) -> Principal:
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("Missing or malformed Authorization header (use: Bearer <key>)")
    token = header[len("Bearer "):].strip()
    admin_token = svc.settings.admin_token
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal("admin")
    key = await ApiKeys(svc.db).get(hash_key(token)) if token else None
    if key is None or key.revoked or not key.names_its_tenant():
        raise Unauthorized("Unknown or revoked API key")
    return Principal(key.role, key.workspace_id, key.reseller_id)


async def reseller_key_live(svc: Services, key_hash: str, reseller_id: str | None) -> bool:
    """Whether the reseller key with this hash is still that reseller's and not revoked (the
    agency panel re-checks its signing-in key on every request)."""
    key = await ApiKeys(svc.db).get(key_hash)
    return key is not None and not key.revoked and key.reseller_id == reseller_id


async def load_workspace(svc: Services, principal: Principal, workspace_id: str) -> Workspace:
    """The workspace if this caller may see it; 404 otherwise (never reveal other tenants)."""
    ws = await Workspaces(svc.db).get(workspace_id)
    visible = ws is not None and (
        principal.role == "admin"
        or (principal.role == "workspace" and principal.workspace_id == workspace_id)
        or (principal.role == "reseller" and ws.reseller_id == principal.reseller_id))
    if not visible:
        raise NotFound("Workspace not found", field="workspace_id")
    return ws


def require_manager(principal: Principal) -> None:
    if principal.role not in ("admin", "reseller"):
        raise NotFound("Not found")


async def claim_phone_numbers(svc: Services, workspace_id: str, phones: list[str],
                              now: datetime) -> None:
    """Each phone_number_id belongs to exactly one workspace (unique _id). A claim whose
    workspace was never written (its creator died in between) is taken over once it is older
    than ORPHAN_CLAIM_AGE, so a crashed creation cannot block the numbers forever."""
    numbers = PhoneNumbers(svc.db)
    taken = await numbers.insert_new(workspace_id, phones, now)
    if not taken:
        return
    claims = await numbers.claims(taken)
    others = [p for p in taken if p not in claims or claims[p].workspace_id != workspace_id]
    adopted = [p for p in others
               if await _take_over_orphan(svc, claims.get(p), workspace_id, now)]
    really_taken = [p for p in others if p not in adopted]
    if really_taken:  # release only what this call claimed
        await numbers.release(workspace_id, [p for p in phones if p not in taken] + adopted)
        raise Conflict("Phone number already belongs to another workspace",
                       field="phone_number_ids", details={"phone_number_ids": really_taken})


async def _take_over_orphan(svc: Services, claim: PhoneClaim | None, workspace_id: str,
                            now: datetime) -> bool:
    age_ms = None if claim is None else (now - claim.claimed_at).total_seconds() * 1000
    if age_ms is None or age_ms < ORPHAN_CLAIM_AGE_MS:
        return False
    if await Workspaces(svc.db).exists(claim.workspace_id):
        return False
    return await PhoneNumbers(svc.db).take_over(claim, workspace_id, now)


async def create_workspace(svc: Services, principal: Principal, *, name: str,
                           phone_number_ids: list[str], plan: str | None,
                           reseller_id: str | None, now: datetime, tz: ZoneInfo,
                           complimentary: bool = False) -> tuple[Workspace, str]:
    """The workspace on `plan` from now, its first monthly period granted. A paid plan this way
    is a gift, so it must be `complimentary` (recorded on the subscription); a workspace that
    pays is created on Free and invoiced (service.workspaces.onboarding)."""
    require_manager(principal)
    if principal.role == "reseller":
        reseller_id = principal.reseller_id
    elif reseller_id and not await Resellers(svc.db).exists(reseller_id):
        raise ValidationFailed("Unknown reseller", field="reseller_id")
    terms = await _plan(svc, plan, complimentary)
    workspace_id = ids.workspace_id()
    await claim_phone_numbers(svc, workspace_id, phone_number_ids, now)
    period = first_period(now, "monthly", tz)
    await svc.ledger.open_wallet(workspace_id, now)
    gift = Gift(terms.id, principal.role, reseller_id, period, now) if complimentary else None
    await subscription_state.start(svc, workspace_id, terms.id, period, gift, now)
    workspace = Workspace(workspace_id, name, tuple(phone_number_ids), terms.id, reseller_id,
                          DEFAULT_ARREARS_LIMIT, {}, now)
    await Workspaces(svc.db).insert(workspace)
    svc.routing.forget(phone_number_ids)    # only adds routes: other processes see it, unmoved
    TENANTS.remember(svc.db, workspace_id, reseller_id)
    key = await _issue_key(svc, workspace_id, now)
    await svc.ledger.post(workspace_id, [LedgerIntent(
        ledger_keys.grant(workspace_id, period.start), "grant", "conversation", terms.grant,
        {"plan": terms.id, "period_start": period.start.isoformat(),
         "period_end": period.end.isoformat()})], now)
    return workspace, key


async def _plan(svc: Services, plan_id: str | None, complimentary: bool) -> PlanTerms:
    plans = await load_plans(svc.db)
    terms = plans.get(plan_id or FREE_PLAN)
    if terms is None:
        raise plan_not_found(plan_id, "plan", list(plans))
    paid = terms.is_paid("monthly")
    if complimentary and not paid:
        raise ComplimentaryNeedsPaidPlan("Only a paid plan can be complimentary",
                                         field="complimentary")
    if paid and not complimentary:      # service.workspaces.onboarding invoices it instead
        raise PaymentRequired("A paid plan starts when its first invoice is paid", field="plan")
    return terms


async def _issue_key(svc: Services, workspace_id: str, now: datetime) -> str:
    key = ids.api_key("sk_ws")
    await ApiKeys(svc.db).insert(ApiKey(hash_key(key), "workspace", workspace_id, None, now))
    return key


async def replace_workspace_key(svc: Services, workspace: Workspace,
                                now: datetime) -> tuple[str, int]:
    """A new key for the workspace, shown once; every earlier key of the workspace is revoked
    (a lost or leaked key). Returns (key, how many keys were revoked). The new key is stored
    first: a crash in between leaves the old keys valid, and the retry revokes them."""
    key = await _issue_key(svc, workspace.id, now)
    revoked = await ApiKeys(svc.db).revoke_workspace_keys(workspace.id, hash_key(key), now)
    return key, revoked


async def update_workspace(svc: Services, workspace: Workspace, changes: dict,
                           now: datetime) -> Workspace:
    if changes.get("phone_number_ids") is None and changes.get("rate_overrides") is None:
        return await _update_workspace(svc, workspace, changes, now)
    async with svc.routing.changing():      # its routes: service/whatsapp/route_revision.py
        return await _update_workspace(svc, workspace, changes, now)


async def _update_workspace(svc: Services, workspace: Workspace, changes: dict,
                            now: datetime) -> Workspace:
    update: dict = {}
    if changes.get("phone_number_ids") is not None:
        new = list(changes["phone_number_ids"])
        await claim_phone_numbers(svc, workspace.id, new, now)
        dropped = [p for p in workspace.phone_number_ids if p not in new]
        await PhoneNumbers(svc.db).release(workspace.id, dropped)
        update["phone_number_ids"] = tuple(new)
    if changes.get("arrears_limit") is not None:
        update["arrears_limit"] = Money.idr(changes["arrears_limit"])
    if changes.get("rate_overrides") is not None:
        overrides = {category.strip().lower(): amount
                     for category, amount in changes["rate_overrides"].items()}
        check_categories(overrides, "rate_overrides")
        update["rate_overrides"] = {c: Money.idr(amount) for c, amount in overrides.items()}
    if changes.get("name") is not None:
        update["name"] = changes["name"]
    updated = replace(workspace, **update)
    await Workspaces(svc.db).save(updated, update)
    return updated
