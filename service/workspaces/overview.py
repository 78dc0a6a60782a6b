"""The workspaces a manager sees, as the agency panel lists them (issue 13): each with its plan,
period end, both balances with their arrears, and where its subscription stands (active, in
grace, moved to Free). Scoped like `GET /v1/workspaces` (the admin: all, or one reseller's; a
reseller: only its own); narrowed by name (any case), plan and state.

The state is not stored on the workspace, so a state filter is applied to the pages read: up to
`SCAN` pages of the store are read for one page of rows, and the cursor continues after the
last workspace read (a page may then hold fewer rows than asked; the next one goes on)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.errors import NotFound, ValidationFailed
from billing.wallet import Buckets
from service.runtime.context import Services
from service.subscriptions.plans import load_plans
from service.subscriptions.list_state import STATES, ListState, list_state
from service.workspaces.records import Reseller, Workspace
from service.workspaces.repository import Resellers, Workspaces
from service.workspaces.workspaces import Principal, load_workspace, require_manager

SCAN = 5


@dataclass(frozen=True)
class WorkspaceRow:
    workspace: Workspace
    standing: ListState
    balances: dict[str, Buckets]      # conversation, broadcast (empty without a wallet)


@dataclass(frozen=True)
class Filters:
    name: str | None = None
    plan: str | None = None
    state: str | None = None
    reseller_id: str | None = None    # the admin: one reseller's workspaces


async def row_of(svc: Services, workspace: Workspace, plans: dict,
                 now: datetime) -> WorkspaceRow:
    where = await list_state(svc, workspace.id, plans, now)
    return WorkspaceRow(workspace, where, await svc.ledger.balances(workspace.id) or {})


async def workspace_rows(svc: Services, who: Principal, filters: Filters, limit: int,
                         cursor: str | None, now: datetime
                         ) -> tuple[list[WorkspaceRow], str | None]:
    require_manager(who)
    if filters.state and filters.state not in STATES:
        raise ValidationFailed("Unknown state", field="state")
    if who.role == "reseller":
        if not who.reseller_id:
            return [], None            # fail closed
        reseller_id: str | None = who.reseller_id
    else:
        reseller_id = filters.reseller_id
    plans = await load_plans(svc.db)
    rows: list[WorkspaceRow] = []
    for _ in range(SCAN):
        found, cursor = await Workspaces(svc.db).search(
            reseller_id, filters.name, filters.plan, limit - len(rows), cursor)
        for ws in found:
            row = await row_of(svc, ws, plans, now)
            if filters.state in (None, row.standing.state):
                rows.append(row)
        if cursor is None or len(rows) >= limit:
            break
    return rows, cursor


async def one_workspace(svc: Services, who: Principal, workspace_id: str,
                        now: datetime) -> WorkspaceRow:
    """404 for a workspace the caller may not see (as the API answers)."""
    require_manager(who)
    workspace = await load_workspace(svc, who, workspace_id)
    return await row_of(svc, workspace, await load_plans(svc.db), now)


async def get_reseller(svc: Services, who: Principal, reseller_id: str) -> Reseller:
    if who.role != "admin":
        raise NotFound("Not found")
    found = await Resellers(svc.db).get(reseller_id)
    if found is None:
        raise NotFound("Reseller not found", field="reseller_id")
    return found
