"""Forms that order or move money, placed once: the form carries a hidden `idem` token
(`{{ form_token() }}` renders a fresh one per form), and its POST goes through the same
Idempotency-Key store as the API (service/runtime/idempotency.py), scoped to the portal's
workspace. A double click, a reload of the POST or a retry after a lost answer gets the first
submission's result (its redirect), never a second order.

    return await once(request, lambda seed: place_order(..., seed=seed))

`action(seed)` places the order with the ids' seed (stable for one token) and returns where to
go next (a /portal path or the provider's checkout URL)."""
from __future__ import annotations

import contextlib
import secrets
from typing import Awaitable, Callable

from aiohttp import web

from billing.errors import BillingError
from handlers.http import request_now, services
from handlers.portal.web import SESSION, redirect
from service.mongo.store import STORE_DOWN
from service.runtime import ids, idempotency

Action = Callable[[str], Awaitable[str]]


def form_token() -> str:
    return secrets.token_urlsafe(16)


async def once(request: web.Request, action: Action, scope: str | None = None) -> web.Response:
    """`scope`: whose tokens these are (default: the portal session's workspace)."""
    svc, now = services(request), request_now(request)
    form = await request.post()
    token = str(form.get("idem", ""))[:64]
    if not token:
        return redirect(await action(ids.new_seed(now)))
    fields = sorted((k, str(v)) for k, v in form.items() if k not in ("csrf_token", "idem"))
    scope = scope or f"portal:{request[SESSION].workspace_id}"
    rid = idempotency.record_id(scope, "POST", request.path, token)
    claim = await idempotency.begin(svc, rid, idempotency.request_hash(repr(fields).encode()),
                                    now)
    if claim.replay is not None:
        return redirect(claim.replay["body"])
    try:
        location = await action(claim.seed)
    except BillingError:
        await idempotency.release(svc, claim)
        raise
    except BaseException:
        with contextlib.suppress(STORE_DOWN):
            await idempotency.abandon(svc, claim, now)
        raise
    await idempotency.complete(svc, claim, 303, location, "text/plain")
    return redirect(location)
