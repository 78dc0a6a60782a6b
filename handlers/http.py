"""HTTP plumbing shared by all handlers: the route tables (also feed /openapi.json), body
parsing with pydantic, the error middleware (contract §6) and the access log middleware."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Iterator, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from billing.errors import (BillingError, Conflict, GatewayUnavailable, IdempotencyKeyReused,
                            InsufficientBalance,
                            NotFound, PayloadRejected, PayloadTooLarge, StoreUnavailable,
                            Unauthorized, UnsupportedMediaType, ValidationFailed)
from handlers.bodies import API_MAX_BODY, read_body
from handlers.formatting import locale_from
from service.mongo.store import STORE_DOWN
from service.runtime import json_body
from service.runtime.context import SERVICES, Services
from service.workspaces.workspaces import Principal, authenticate

log = logging.getLogger("saldo.http")
access_log = logging.getLogger("saldo.access")
M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRINCIPAL = web.RequestKey("principal", Principal)
NOW = web.RequestKey("now", datetime)

# The HTTP status of each error class, chosen here once: an error takes the status of its nearest
# class listed (the tree and its statuses: billing/errors.py's docstring).
_STATUS: dict[type[BillingError], int] = {
    BillingError: 400, ValidationFailed: 422, Unauthorized: 401, NotFound: 404, Conflict: 409,
    InsufficientBalance: 402, IdempotencyKeyReused: 422, PayloadRejected: 400,
    PayloadTooLarge: 413, UnsupportedMediaType: 415, StoreUnavailable: 503,
    GatewayUnavailable: 503}
RETRY_AFTER_S = 2      # a 503's Retry-After: a store that restarts is back within about a second


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: str = "bearer"          # bearer | none | signature
    query: type[BaseModel] | None = None
    errors: tuple[type[BillingError], ...] = ()   # route-specific errors, for /openapi.json


# The routes the app serves (handlers.routes.setup_routes puts them here; /openapi.json reads them).
ROUTE_SPECS = web.AppKey("route_specs", tuple)


class RouteTable:
    """One handler module's routes, like aiohttp's `web.RouteTableDef`: `routes = RouteTable()`,
    then `@routes.route(...)` on each handler. The tables are listed and added to the app in
    handlers.routes.setup_routes; a table added nowhere serves nothing."""

    def __init__(self) -> None:
        self._specs: list[RouteSpec] = []

    def __iter__(self) -> Iterator[RouteSpec]:
        return iter(self._specs)

    def route(self, method: str, path: str, summary: str, *, body: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200, auth: str = "bearer",
              query: type[BaseModel] | None = None,
              errors: tuple[type[BillingError], ...] = ()) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            self._specs.append(RouteSpec(method, path, handler, summary, body, response, status,
                                         auth, query, errors))
            return handler
        return add


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def request_now(request: web.Request) -> datetime:
    """The request's time: the clock is read once per request (issue 10: one time per use
    case), and the idempotency seed, the use case and the response all get this one."""
    if NOW not in request:
        request[NOW] = services(request).clock.now()
    return request[NOW]


def locale(request: web.Request) -> str:
    return locale_from(request.headers.get("Accept-Language"))


async def principal(request: web.Request) -> Principal:
    """The authenticated caller, looked up once per request (wrappers such as @idempotent and
    the handler both ask)."""
    who = request.get(PRINCIPAL)
    if who is None:
        who = await authenticate(services(request), request.headers.get("Authorization"))
        request[PRINCIPAL] = who
    return who


async def admin_only(request: web.Request) -> Principal:
    """The admin's routes: any other valid key is answered like a missing route (404)."""
    who = await principal(request)
    if who.role != "admin":
        raise NotFound("Not found")
    return who


async def read_json(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Send a JSON body with Content-Type: application/json")
    return json_body.decode(await read_body(request))


async def parse_body(request: web.Request, model: type[M]) -> M:
    return model.model_validate(await read_json(request))


def parse_query(request: web.Request, model: type[M]) -> M:
    return model.model_validate(dict(request.query))


def respond(data: BaseModel | dict, status: int = 200) -> web.Response:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return web.json_response(payload, status=status)


def error_response(status: int, code: str, message: str, field: str | None = None,
                   details: dict | None = None) -> web.Response:
    body: dict = {"code": code, "message": message}
    if field:
        body["field"] = field
    if details:
        body["details"] = details
    return web.json_response({"error": body}, status=status)


def status_of(error: type[BillingError]) -> int:
    return next(_STATUS[cls] for cls in error.__mro__ if cls in _STATUS)


def _from_billing(exc: BillingError) -> web.Response:
    response = error_response(status_of(type(exc)), exc.code, exc.message, exc.field,
                              exc.details)
    if response.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _from_validation(exc: ValidationError) -> web.Response:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    details = {"errors": [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                          for e in exc.errors()]}
    return _from_billing(ValidationFailed(f"{field}: {first['msg']}" if field else first["msg"],
                                          field=field, details=details))


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BillingError as exc:
        return _from_billing(exc)
    except ValidationError as exc:
        return _from_validation(exc)
    except STORE_DOWN as exc:      # nothing was decided: the caller retries (issue 17)
        log.warning("store unavailable on %s %s: %r", request.method, request.path, exc)
        return _from_billing(StoreUnavailable("The store cannot be reached; retry shortly"))
    except web.HTTPRequestEntityTooLarge:
        return _from_billing(PayloadTooLarge(f"Body larger than {API_MAX_BODY:,} bytes"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 404:
            return _from_billing(NotFound(exc.reason))
        code = "method_not_allowed" if exc.status == 405 else "http_error"   # not domain errors
        response = error_response(exc.status, code, exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Internal error; it has been logged")


@web.middleware
async def access_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    if not access_log.isEnabledFor(logging.INFO):   # nothing built for a line nobody writes
        return response
    who: Principal | None = request.get(PRINCIPAL)
    access_log.info("request", extra={"fields": {
        "method": request.method, "path": request.path, "status": response.status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "workspace": request.match_info.get("ws") or (who.workspace_id if who else None)}})
    return response
