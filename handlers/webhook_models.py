"""Request and response models of the webhook endpoints (issue 15 items 4-5)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from handlers.models import Request

EventType = Annotated[str, Field(max_length=100, pattern=r"^(\*|[a-z][a-z_]*(\.[a-z][a-z_]*)*"
                                                        r"(\.\*)?)$")]
EVENT_TYPES = ("Event types to receive: exact (`invoice.paid`), a prefix (`wallet.*`) or `*` "
               "(every event)")


class WebhookEndpointIn(Request):
    url: str = Field(min_length=1, max_length=2048,
                     description="https (http only with SALDO_WEBHOOKS_ALLOW_PRIVATE)")
    event_types: list[EventType] = Field(default_factory=lambda: ["*"], min_length=1,
                                         max_length=50, description=EVENT_TYPES)
    description: str = Field(default="", max_length=500)


class WebhookEndpointPatch(Request):
    url: str | None = Field(default=None, min_length=1, max_length=2048)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=50,
                                                description=EVENT_TYPES)
    description: str | None = Field(default=None, max_length=500)
    status: Literal["enabled", "disabled"] | None = None


class WebhookOwnerOut(BaseModel):
    role: str
    workspace_id: str | None
    reseller_id: str | None


class WebhookEndpointOut(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    status: str
    owner: WebhookOwnerOut
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="While a rotated-out secret still signs (both signatures are sent)")


class WebhookEndpointCreated(BaseModel):
    endpoint: WebhookEndpointOut
    secret: str = Field(description="The signing secret (whsec_…), shown once")


class WebhookSecretOut(BaseModel):
    endpoint: WebhookEndpointOut
    secret: str = Field(description="The new signing secret, shown once")


class WebhookEndpointsOut(BaseModel):
    endpoints: list[WebhookEndpointOut]
    next_cursor: str | None


class WebhookAttemptOut(BaseModel):
    id: str
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    at: datetime
    outcome: Literal["delivered", "failed"]
    status_code: int | None
    error: str | None
    duration_ms: int
    next_attempt_at: datetime | None


class WebhookAttemptsOut(BaseModel):
    attempts: list[WebhookAttemptOut]
    next_cursor: str | None


class WebhookDeliveryOut(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
