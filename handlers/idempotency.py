"""`@idempotent`: contract §5 for any POST that orders or moves money. Put it under `@routes.route`:

    @routes.route("POST", "/v1/workspaces/{ws}/topups", …)
    @idempotent
    async def create(request): … seed(request) …

With an `Idempotency-Key` header (≤ 255 characters) the first response is stored and replayed
for 24 h (header `Idempotent-Replayed: true`); the key is scoped to the caller, the method and
the path. `seed(request)` gives the use case the ids' seed, stable across retries of one key.
"""
from __future__ import annotations

import contextlib
import functools

from aiohttp import web
from pydantic import ValidationError

from billing.errors import BillingError, ValidationFailed
from handlers.bodies import read_body
from handlers.http import Handler, principal, request_now, services
from service.mongo.store import STORE_DOWN
from service.runtime import ids
from service.runtime import idempotency

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
SEED = web.RequestKey("idempotency_seed", str)


def seed(request: web.Request) -> str:
    if SEED not in request:
        request[SEED] = ids.new_seed(request_now(request))
    return request[SEED]


def _key(request: web.Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise ValidationFailed(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters",
                               field=HEADER)
    return key


def _replay(stored: dict) -> web.Response:
    return web.Response(status=stored["status"], text=stored["body"],
                        content_type=stored["content_type"],
                        headers={"Idempotent-Replayed": "true"})


def idempotent(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if request.headers.get(HEADER) is None:
            return await handler(request)
        who = await principal(request)  # 401 before anything about the key is said
        key = _key(request)
        svc = services(request)
        scope = f"{who.role}:{who.workspace_id or who.reseller_id or ''}"
        rid = idempotency.record_id(scope, request.method, request.path, key)
        body_hash = idempotency.request_hash(await read_body(request))
        claim = await idempotency.begin(svc, rid, body_hash, request_now(request))
        if claim.replay is not None:
            return _replay(claim.replay)
        request[SEED] = claim.seed
        try:
            response = await handler(request)
        except (BillingError, ValidationError):
            await idempotency.release(svc, claim)
            raise
        except BaseException:
            with contextlib.suppress(STORE_DOWN):   # the store went away: the first error says so
                await idempotency.abandon(svc, claim, request_now(request))
            raise
        if isinstance(response, web.Response) and isinstance(response.body, bytes) \
                and response.status < 500:
            await idempotency.complete(svc, claim, response.status,
                                       response.body.decode(response.charset or "utf-8"),
                                       response.content_type)
        else:
            await idempotency.abandon(svc, claim, request_now(request))
        return response
    wrapper.idempotent = True      # /openapi.json declares its 409 (handlers/openapi.py)
    return wrapper
