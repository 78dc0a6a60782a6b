"""The records of outbound webhooks: an endpoint (owner scope, URL, event types, secrets), a
delivery (one event to one endpoint: the per-endpoint queue) and an attempt (one HTTP call)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ADMIN_SCOPE = "admin"
ALL_RESELLERS = "reseller:*"     # an audience naming every reseller (never an endpoint's scope)


def scope_of(role: str, workspace_id: str | None, reseller_id: str | None) -> str:
    """Whose events an endpoint receives: `admin` (all), `reseller:<id>` (its customers'
    workspaces'), `workspace:<id>` (its own)."""
    if role == "workspace":
        return f"workspace:{workspace_id}"
    if role == "reseller":
        return f"reseller:{reseller_id}"
    return ADMIN_SCOPE


def audience(workspace_id: str | None, reseller_id: str | None,
             visible_to: object = None) -> list[str]:
    """The scopes that receive an event of this workspace. An event of no workspace (the add-on
    catalog's `addon.*`): the admin's, and the resellers' its `visible_to` names (an add-on's
    `visibility.resellers`: "all" or a list of reseller ids) if it carries it."""
    scopes = [ADMIN_SCOPE]
    if workspace_id:
        scopes.append(f"workspace:{workspace_id}")
        if reseller_id:
            scopes.append(f"reseller:{reseller_id}")
    elif visible_to == "all":
        scopes.append(ALL_RESELLERS)
    elif isinstance(visible_to, list):
        scopes += [f"reseller:{r}" for r in visible_to if isinstance(r, str)]
    return scopes


def in_audience(scope: str, scopes: list[str]) -> bool:
    return scope in scopes or (ALL_RESELLERS in scopes and scope.startswith("reseller:"))


def type_matches(pattern: str, event_type: str) -> bool:
    """`*` every type; `wallet.*` every type under `wallet.`; else the exact type."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@dataclass(frozen=True)
class Secret:
    value: str
    expires_at: datetime | None = None      # a rotated-out secret signs until then


@dataclass(frozen=True)
class Endpoint:
    id: str
    scope: str
    role: str                       # the owner's: admin | reseller | workspace
    workspace_id: str | None
    reseller_id: str | None         # a reseller's own, or a workspace owner's reseller
    url: str
    description: str
    event_types: tuple[str, ...]
    status: str                     # enabled | disabled
    secrets: tuple[Secret, ...]
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None = None
    disabled_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return any(type_matches(p, event_type) for p in self.event_types)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and a rotated-out one until it expires."""
        return [s.value for s in self.secrets if s.expires_at is None or s.expires_at > now]


@dataclass(frozen=True)
class Delivery:
    id: str                         # endpoint id + ":" + event id
    endpoint_id: str
    event_id: str
    status: str                     # pending | delivered | failed
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_status: int | None = None
    last_error: str | None = None
    lease: str | None = None        # the claiming worker's token while an attempt runs
    reseller_id: str | None = None  # the event's workspace's, as found at fan-out


@dataclass(frozen=True)
class Attempt:
    id: str
    endpoint_id: str
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    at: datetime
    outcome: str                    # delivered | failed
    status_code: int | None
    error: str | None
    duration_ms: int
    next_attempt_at: datetime | None
