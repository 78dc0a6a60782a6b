"""OpenAPI 3.1 generated from the same pydantic models the handlers use."""
from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from handlers.http import RouteSpec, status_of
from handlers.models import ErrorOut

_ERRORS = {"401": "unauthorized", "404": "not_found", "422": "validation_error"}


def _params(path: str, query: type[BaseModel] | None) -> list[dict]:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"{(\w+)}", path)]
    if query:
        for name, field in query.model_fields.items():
            params.append({"name": field.alias or name, "in": "query", "required": False,
                           "schema": {"type": "string"}, "description": field.description or ""})
    return params


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
        error = {"content": {"application/json": {"schema": refs[(ErrorOut, "validation")]}}}
        for status, code in _ERRORS.items():
            op["responses"][status] = {"description": code, **error}
        for cls in r.errors:   # a route's own errors: their codes joined under their status
            status = str(status_of(cls))
            described = op["responses"].get(status, {}).get("description")
            op["responses"][status] = {"description": f"{described}, {cls.code}" if described
                                       and described != cls.code else cls.code, **error}
        if r.auth == "bearer":
            op["security"] = [{"bearer": []}]
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {"openapi": "3.1.0",
            "info": {"title": "Saldo", "version": "0.1.0",
                     "description": "Billing for a WhatsApp customer-chat platform"},
            "paths": paths,
            "components": {"schemas": schema.get("$defs", {}),
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}
