"""One change of one held add-on (a decrease, a stop, a next-period quantity) as ONE
conditional write on the holding it was computed from (issue 9 item 4).

A request reads the subscription, computes the change and its wallet credit from the holding
it read (quantity, next quantity, `rev`, and the period), and writes it with the versioned
replace of service/subscriptions/state.py. If anything wrote the subscription in between, the
write fails and the subscription is read again:
* the holding is still as it was computed from (something else changed): write again;
* the holding's last change is this very transition (a concurrent request asked for the same
  one and won): the winner's answer is replayed, and nothing more is credited;
* otherwise: 409 `holding_changed` (retryable: read the subscription and ask again); nothing
  of this request was written, so nothing was credited.
The credit's ledger key is the transition's, `addon_refund:<ws>:<addon>:<from>:<to>:r<rev>`,
never the request's: however many requests race, the wallet gets at most one credit per
transition, and a holding's `rev` is never reused (service/addons/holdings.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing import ledger_keys
from billing.addons import Holding
from billing.errors import Conflict, HoldingChanged
from billing.money import Money
from service.addons.holdings import Credit, LastChange, Subscribed, changes, subscribed
from service.runtime.context import Services
from service.subscriptions import state


@dataclass(frozen=True)
class Transition:
    workspace_id: str
    before: Holding
    after: Holding
    rev: int                     # the holding's revision it was computed from
    basis: tuple                 # what it was computed from (see `basis`)
    credit: Money | None = None  # what it earns the wallet
    reason: str = ""

    @property
    def addon_id(self) -> str:
        return self.before.addon_id

    @property
    def key(self) -> str:
        """The credit's ledger key: the holding, from- and to-quantity, revision."""
        return ledger_keys.addon_refund(self.workspace_id, self.addon_id, self.before.quantity,
                                        self.after.quantity, self.rev)

    @property
    def marker(self) -> LastChange:
        return LastChange(self.key, self.after.next_quantity, self.credit)


def basis(sub: Subscribed, addon_id: str) -> tuple:
    held = sub.holdings.get(addon_id)
    item = held and (held.quantity, held.next_quantity, sub.revs[addon_id])
    return item, sub.period.start, sub.unit


def transition(doc: dict, before: Holding, after: Holding, credit: Money | None = None,
               reason: str = "") -> Transition:
    """The change `before` → `after` of a holding of `doc`, as read."""
    sub = subscribed(doc)
    return Transition(sub.workspace_id, before, after, sub.revs.get(before.addon_id, 0),
                      basis(sub, before.addon_id),
                      credit if credit and credit.amount > 0 else None, reason)


def changed(addon_id: str) -> Conflict:
    return HoldingChanged("The add-on was changed by another request meanwhile; read the "
                          "subscription and try again", field="addon_id",
                          details={"retryable": True, "addon_id": addon_id})


def _changes(sub: Subscribed, t: Transition, now: datetime) -> dict:
    credits = [Credit(t.key, t.credit, {
        "addon_id": t.addon_id, "reason": t.reason, "from_quantity": t.before.quantity,
        "to_quantity": t.after.quantity, "rev": t.rev})] if t.credit else []
    return changes(sub, {**sub.holdings, t.addon_id: t.after}, now, credits=credits,
                   change=(t.addon_id, t.marker))


async def write(svc: Services, doc: dict, t: Transition, now: datetime) -> Money | None:
    """Write `t` on the subscription `doc` it was computed from (or a later version in which
    the holding is unchanged). → the credit the transition earned (the winner's, replayed).
    409 `holding_changed` when the holding changed otherwise."""
    first = [doc]

    async def attempt() -> LastChange | None:
        current = first.pop() if first else await state.load(svc, t.workspace_id)
        sub = subscribed(current)
        if basis(sub, t.addon_id) != t.basis:
            last = sub.last_changes.get(t.addon_id)
            if last and (last.key, last.next_quantity) == (t.key, t.after.next_quantity):
                return last              # the same transition, applied by another request
            raise changed(t.addon_id)
        return t.marker if await state.save(svc, replace(current, **_changes(sub, t, now)),
                                            now) else None
    applied = await state.retrying(attempt, "changing an add-on")
    return applied.credit
