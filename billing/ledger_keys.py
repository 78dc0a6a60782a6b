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
    credit_applied:<invoice id>                       account credit used by an invoice
    credit_returned:<invoice id>                      that credit back (invoice closed unpaid)

The `addon_refund` and `addon_excess` keys credit ACCOUNT CREDIT (service/credit/), not the
wallet, since issue 11; older wallet entries keep their keys.

`parse(key)` reads a key back into its `Cause` (reconciliation: billing/reconcile.py).
"""
from __future__ import annotations

from dataclasses import dataclass
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


def credit_applied(invoice_id: str) -> str:
    return f"credit_applied:{invoice_id}"


def credit_returned(invoice_id: str) -> str:
    return f"credit_returned:{invoice_id}"


@dataclass(frozen=True)
class Cause:
    """What a key says caused its entry (`parse`): `kind` is the format's name, `unknown` for a
    key no format here builds; the other fields are the ids the format carries."""
    kind: str
    workspace_id: str | None = None
    ref: str | None = None             # wamid, top-up id, order id or invoice id
    period_start: str | None = None    # ISO, as the key carries it
    addon_id: str | None = None
    plan: str | None = None
    from_quantity: int | None = None
    to_quantity: int | None = None
    rev: int | None = None             # None in an addon_refund key of another shape


def parse(key: str) -> Cause:
    """The cause a ledger key names (the inverse of the builders above)."""
    prefix, _, rest = key.partition(":")
    if prefix in ("charge", "topup", "credit_applied", "credit_returned"):
        return Cause(prefix, ref=rest) if rest else Cause("unknown")
    ws, _, rest = rest.partition(":")
    if not ws or not rest:
        return Cause("unknown")
    if prefix == "grant":
        start, _, plan = rest.partition(":upgrade:")
        return Cause("upgrade_grant" if plan else "grant", ws, period_start=start,
                     plan=plan or None)
    if prefix == "expiry":
        return Cause("expiry", ws, period_start=rest)
    if prefix == "addon_credit":          # addon_credit:<order id>:<addon id>
        order_id, _, addon_id = key[len("addon_credit:"):].rpartition(":")
        return Cause("addon_credit", ref=order_id, addon_id=addon_id) if order_id \
            else Cause("unknown")
    if prefix == "addon_excess":
        start, _, addon_id = rest.rpartition(":")
        return Cause("addon_excess", ws, period_start=start, addon_id=addon_id)
    if prefix == "addon_refund":
        return _refund(ws, rest.split(":"))
    return Cause("unknown")


def _refund(ws: str, parts: list[str]) -> Cause:
    if len(parts) == 4 and parts[1].isdigit() and parts[2].isdigit() and \
            parts[3][:1] == "r" and parts[3][1:].isdigit():
        return Cause("addon_refund", ws, addon_id=parts[0], from_quantity=int(parts[1]),
                     to_quantity=int(parts[2]), rev=int(parts[3][1:]))
    return Cause("addon_refund", ws, addon_id=parts[0])
