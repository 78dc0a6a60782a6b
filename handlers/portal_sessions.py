"""Opening the customer portal from the chat platform: a single-use link (issue 12)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, Field, StrictStr, field_validator

from billing.errors import ValidationFailed
from handlers.http import parse_body, principal, request_now, respond, RouteTable, services
from handlers.models import Request
from service.portal.sessions import create_link
from service.workspaces.workspaces import load_workspace

routes = RouteTable()


class PortalSessionIn(Request):
    return_url: StrictStr | None = Field(
        default=None, max_length=2000,
        description="Where the portal's 'Back to the app' link leads (an http(s) URL)")
    locale: Literal["id", "en"] = "id"

    @field_validator("return_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value


class PortalSessionOut(BaseModel):
    url: str
    expires_at: datetime


def _base_url(request: web.Request) -> str:
    public = services(request).settings.public_url.rstrip("/")
    return public or f"{request.scheme}://{request.host}"


@routes.route("POST", "/v1/workspaces/{ws}/portal-sessions",
              "A single-use link to the customer portal (Settings > Subscription), valid for a "
              "few minutes (SALDO_PORTAL_LINK_TTL); opening it starts a browser session",
              body=PortalSessionIn, response=PortalSessionOut, status=201,
              errors=(ValidationFailed,))
async def create(request: web.Request) -> web.Response:
    svc = services(request)
    ws = await load_workspace(svc, await principal(request), request.match_info["ws"])
    body = await parse_body(request, PortalSessionIn)
    link = await create_link(svc, ws.id, locale=body.locale, return_url=body.return_url,
                             now=request_now(request))
    return respond(PortalSessionOut(url=f"{_base_url(request)}/portal/open/{link.url_token}",
                                    expires_at=link.expires_at), status=201)
