"""What a billing pass gives back with each claim (service/subscriptions/billing_run.py), in
the release's one conditional write per subscription (repository.release_many): when it is due
again, the boundary it posted and left stored (removed by that write), and the limits the
workspace's last `entitlements.changed` carries (`announced`, written with the release's
version).

The mark saves a renewal its read of `events` (a sorted find of its own per subscription:
NX-27017 cannot answer many workspaces' last events in one command without scanning the
collection). A pass trusts it only while the versions prove that nothing but the pass wrote
the subscription since the release that wrote it: its claim (+1), then its own rollover (+1).
Every use case that announces new limits writes the subscription first, so an intact chain
means no `entitlements.changed` was emitted since; limits that moved without a write (a plan's
or an add-on's terms) differ from the mark, and are announced as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from service.runtime.context import Services
from service.subscriptions import state
from service.subscriptions.records import SubscriptionState


@dataclass(frozen=True)
class Release:
    workspace_id: str
    last: SubscriptionState | None      # its last state (None: the pass failed for it)
    due: datetime                       # due again then
    ended: datetime | None = None       # the start of the boundary it posted and left stored
    announced: Mapping | None = None    # the limits the last entitlements.changed carries


class Chain:
    """The limits the last `entitlements.changed` carries, for as long as the pass knows them:
    from the claimed state's mark, then from what the pass announced itself."""

    def __init__(self, claimed: SubscriptionState) -> None:
        mark, version = claimed.announced, claimed.version
        intact = mark is not None and version is not None and mark.version + 1 == version
        self.limits: Mapping | None = mark.limits if intact and mark else None
        self.version = version          # the version the pass expects to read next

    def read(self, sub: SubscriptionState) -> None:
        if sub.version != self.version:         # someone else wrote: read the last event
            self.limits = None

    def stepped(self, rolled: bool, sub: SubscriptionState) -> None:
        """After a step on `sub`: its own rollover saved the next version (`rolled`), or
        anything else happened (an invoice issued and maybe paid, a race lost)."""
        if rolled and sub.version is not None:
            self.version = sub.version + 1
        else:
            self.limits = None

    def announced(self, limits: Mapping) -> None:
        self.limits = limits


async def release(svc: Services, worker: str, done: list[Release]) -> list[None]:
    """A GroupCommit flush: the claims of `done` given back together (state.release_many)."""
    await state.release_many(
        svc, worker, [(r.workspace_id, r.last, r.due) for r in done],
        ended={r.workspace_id: r.ended for r in done if r.ended is not None},
        announced={r.workspace_id: r.announced for r in done if r.announced is not None})
    return [None] * len(done)

