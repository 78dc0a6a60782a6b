"""The wallet ledger's idempotency keys, every format in one place.

A ledger entry's key is unique (a unique index in service/wallet/ledger.py): posting the same
key twice returns the first entry, so each key names the one event that may move a balance
once. A key is built from ids the caller already holds, never from the clock or randomness,
so a retry (a webhook delivered twice, a job run again) builds the same key.

    charge:<wamid>                                    a WhatsApp message, charged once
    grant:<workspace>:<period start>                  a period's conversation grant
    grant:<workspace>:<period start>:upgrade:<plan>   the extra grant of a mid-period upgrade
    expiry:<workspace>:<ended period start>           the unused grant of an ended period
    topup:<top-up id>                                 a paid top-up
    addon_credit:<order id>:<addon id>                a paid consumption add-on line
    addon_refund:<ws>:<addon>:<from>:<to>:r<rev>      a holding's change, credited back
    addon_excess:<workspace>:<period start>:<addon>   a renewal paid for more units than kept
"""
from __future__ import annotations

from datetime import datetime


def charge(wamid: str) -> str:
    return f"charge:{wamid}"


def grant(workspace_id: str, period_start: datetime) -> str:
    return f"grant:{workspace_id}:{period_start.isoformat()}"


def upgrade_grant(workspace_id: str, period_start: datetime, plan_id: str) -> str:
    return f"{grant(workspace_id, period_start)}:upgrade:{plan_id}"


def expiry(workspace_id: str, ended_period_start: datetime) -> str:
    return f"expiry:{workspace_id}:{ended_period_start.isoformat()}"


def topup(topup_id: str) -> str:
    return f"topup:{topup_id}"


def addon_credit(order_id: str, addon_id: str) -> str:
    return f"addon_credit:{order_id}:{addon_id}"


def addon_refund(workspace_id: str, addon_id: str, from_quantity: int, to_quantity: int,
                 rev: int) -> str:
    return f"addon_refund:{workspace_id}:{addon_id}:{from_quantity}:{to_quantity}:r{rev}"


def addon_excess(workspace_id: str, period_start: datetime, addon_id: str) -> str:
    return f"addon_excess:{workspace_id}:{period_start.isoformat()}:{addon_id}"
