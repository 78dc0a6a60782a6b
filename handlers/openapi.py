"""OpenAPI 3.1 generated from the same pydantic models the handlers use."""
from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from handlers.http import RouteSpec, status_of
from handlers.models import ErrorOut

_ERRORS = {401: "unauthorized", 404: "not_found", 422: "validation_error"}
# A route with a JSON body model; a signed callback has no 415, an Idempotency-Key's hash reads
# the body of a route without a model (413) but does not decode it.
_BODY_ERRORS = {400: "invalid_json", 413: "payload_too_large", 415: "unsupported_media_type"}
_TOO_LARGE = {413: "payload_too_large"}
# Route by route, what the route's shape does not tell (issue 17 §6).
_CONFLICT = {409: "conflict"}
_EXTRA: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/v1/workspaces"): _CONFLICT,          # a phone number taken; payments_unavailable
    ("PATCH", "/v1/workspaces/{ws}"): _CONFLICT,    # a phone number taken
    ("POST", "/v1/admin/addons"): _CONFLICT,        # addon_name_taken
    ("PATCH", "/v1/admin/addons/{id}"): _CONFLICT,  # addon_name_taken
    ("DELETE", "/v1/admin/addons/{id}"): _CONFLICT,  # addon_in_use
    ("POST", "/v1/workspaces/{ws}/subscription/quote"): _CONFLICT,      # plan_unchanged …
    ("POST", "/v1/workspaces/{ws}/subscription/cancel"): _CONFLICT,
    ("DELETE", "/v1/workspaces/{ws}/subscription/scheduled-change"): _CONFLICT,
    ("POST", "/v1/workspaces/{ws}/wallet/authorize"): {402: "insufficient_balance"},
    ("POST", "/webhooks/whatsapp"): {415: "unsupported_media_type"},
}
# Routes that answer without the store: no 503.
_NO_STORE = {("GET", "/openapi.json"), ("GET", "/webhooks/whatsapp")}


def _params(path: str, query: type[BaseModel] | None) -> list[dict]:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"{(\w+)}", path)]
    if query:
        for name, field in query.model_fields.items():
            params.append({"name": field.alias or name, "in": "query", "required": False,
                           "schema": {"type": "string"}, "description": field.description or ""})
    return params


def _errors(r: RouteSpec, schema: dict) -> dict[str, dict]:
    """The error answers of route `r`, by status: every route's, those of a route that reads a
    body, its own; a 503 when the store cannot be reached, with Retry-After."""
    codes = dict(_ERRORS)
    if r.body:
        codes.update(_BODY_ERRORS)
    if r.auth == "signature":
        codes.update({400: "invalid_json", **_TOO_LARGE})
    if getattr(r.handler, "idempotent", False):
        codes.update({**_TOO_LARGE, **_CONFLICT})   # idempotency_in_progress
    codes.update(_EXTRA.get((r.method, r.path), {}))
    for cls in r.errors:   # a route's own errors: their codes joined under their status
        status = status_of(cls)
        described = codes.get(status)
        codes[status] = f"{described}, {cls.code}" if described and described != cls.code \
            else cls.code
    content = {"application/json": {"schema": schema}}
    out = {str(s): {"description": code, "content": content} for s, code in sorted(codes.items())}
    if (r.method, r.path) == ("GET", "/webhooks/whatsapp"):
        out["403"] = {"description": "verification failed",
                      "content": {"text/plain": {"schema": {"type": "string"}}}}
    if (r.method, r.path) in {("GET", "/readyz"), ("GET", "/healthz")}:     # {"ok": false, …}
        out["503"] = {"description": "the service cannot work", "content": {
            "application/json": {"schema": {"type": "object"}}}}
    elif (r.method, r.path) not in _NO_STORE:
        also = f", {codes[503]}" if 503 in codes else ""    # e.g. a payment gateway's outage
        out["503"] = {"description": "store_unavailable" + also, "content": content, "headers": {
            "Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}}
    return out


@lru_cache(maxsize=1)
def build_openapi(routes: tuple[RouteSpec, ...]) -> dict:
    """The document of `routes` (handlers.routes.ROUTES, the ones the app serves)."""
    models = {m for r in routes for m in (r.body, r.response) if m} | {ErrorOut}
    refs, schema = models_json_schema([(m, "validation") for m in models],
                                      ref_template="#/components/schemas/{model}")
    paths: dict = {}
    for r in routes:
        op: dict = {"summary": r.summary, "operationId": f"{r.handler.__module__}.{r.handler.__name__}",
                    "parameters": _params(r.path, r.query), "responses": {}}
        if r.body:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(r.body, "validation")]}}}
        ok: dict = {"description": "OK"}
        if r.response:
            ok["content"] = {"application/json": {"schema": refs[(r.response, "validation")]}}
        op["responses"][str(r.status)] = ok
        op["responses"].update(_errors(r, refs[(ErrorOut, "validation")]))
        if r.auth == "bearer":
            op["security"] = [{"bearer": []}]
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {"openapi": "3.1.0",
            "info": {"title": "Saldo", "version": "0.1.0",
                     "description": "Billing for a WhatsApp customer-chat platform"},
            "paths": paths,
            "components": {"schemas": schema.get("$defs", {}),
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}
