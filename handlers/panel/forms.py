"""The panel's forms over the API's request models: a form is validated by the same pydantic
model as the JSON route (so the rules are the API's), its errors shown next to their fields."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from billing.errors import BillingError, ValidationFailed
from handlers.portal.i18n import _
from handlers.portal.messages import error_text

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def validated(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """(the model, {}) or (None, {field: translated message})."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "_form"
            errors.setdefault(field, _("Check this value."))
        return None, errors


def api_errors(exc: BillingError) -> dict[str, str]:
    """An API error as field errors ({field or '_form': translated sentence})."""
    if exc.code == "conflict" and exc.field == "phone_number_ids":
        return {exc.field: _("A phone number here already belongs to another workspace.")}
    if exc.code == "billing_info_incomplete":
        return {"_form": _("The customer's billing information is incomplete (%(missing)s): "
                           "it is filled in the customer portal.", missing=", ".join(
                               (exc.details or {}).get("missing") or ()))}
    return {exc.field or "_form": error_text(exc)}


def page_cursor(query) -> str | None:
    return str(query.get("cursor") or "")[:200] or None


async def paged(fetch: Callable[[str | None], Awaitable[T]], cursor: str | None) -> T:
    """`fetch(cursor)`; a cursor that is not one (edited by hand) → the first page."""
    try:
        return await fetch(cursor)
    except ValidationFailed as exc:
        if exc.field != "cursor" or cursor is None:
            raise
        return await fetch(None)
