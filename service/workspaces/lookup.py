"""What other features ask of a workspace without a caller to check: read it by id (the billing
run, re-driven orders) and make its plan follow the subscription."""
from __future__ import annotations

from billing.errors import NotFound
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.workspaces.repository import Workspaces


async def workspace_by_id(svc: Services, workspace_id: str) -> Workspace:
    ws = await Workspaces(svc.db).get(workspace_id)
    if ws is None:
        raise NotFound("Workspace not found", field="workspace_id")
    return ws


async def follow_plan(svc: Services, workspace_id: str, plan_id: str) -> None:
    """`workspaces.plan` drives the rate card (`rates_for`); it follows the subscription."""
    await Workspaces(svc.db).set_plan(workspace_id, plan_id)
