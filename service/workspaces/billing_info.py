"""A workspace's billing information (billing/billing_info.py): read it, replace it.

It lives in the workspace document (`billing_info`, written only through
service/workspaces/repository.py). Invoices copy it as their buyer when they are issued
(service/invoices/invoices.py), so changing it never changes an invoice issued before.
"""
from __future__ import annotations

from dataclasses import replace

from billing.billing_info import BillingInfo
from service.runtime.context import Services
from service.workspaces.records import Workspace
from service.workspaces.repository import Workspaces


def billing_info_of(workspace: Workspace) -> BillingInfo:
    """What is filled so far (every field empty when nothing was)."""
    return workspace.billing_info or BillingInfo()


async def put_billing_info(svc: Services, workspace: Workspace, info: BillingInfo) -> Workspace:
    """Replace the whole billing information (validated by `billing.billing_info.billing_info`)."""
    await Workspaces(svc.db).set_billing_info(workspace.id, info)
    return replace(workspace, billing_info=info)
