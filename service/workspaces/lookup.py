"""What other features ask of a workspace without a caller to check: read it by id (the billing
run, re-driven orders), make its plan follow the subscription, and which workspace owns a phone
number (WhatsApp routing, service/whatsapp/routing.py, which holds the database only)."""
from __future__ import annotations

from collections.abc import Iterable

from pymongo.asynchronous.database import AsyncDatabase

from billing.errors import NotFound
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.workspaces.repository import PhoneNumbers, Workspaces


async def workspace_by_id(svc: Services, workspace_id: str) -> Workspace:
    ws = await Workspaces(svc.db).get(workspace_id)
    if ws is None:
        raise NotFound("Workspace not found", field="workspace_id")
    return ws


async def follow_plan(svc: Services, workspace_id: str, plan_id: str) -> None:
    """`workspaces.plan` drives the rate card (`rates_for`); it follows the subscription."""
    await Workspaces(svc.db).set_plan(workspace_id, plan_id)


async def phone_owners(db: AsyncDatabase, phone_number_ids: Iterable[str]) -> dict[str, str]:
    """phone number id → the workspace it belongs to, for the numbers that have one."""
    return await PhoneNumbers(db).owners(list(phone_number_ids))


async def workspace_ratings(db: AsyncDatabase, workspace_ids: Iterable[str]) -> dict[str, tuple]:
    """id → (plan, rate overrides) of those of these workspaces that exist (the rate card)."""
    return await Workspaces(db).ratings(workspace_ids)


async def workspaces_by_ids(db: AsyncDatabase, workspace_ids: Iterable[str]) -> list[Workspace]:
    """Those of these workspaces that exist."""
    return await Workspaces(db).many(workspace_ids)
