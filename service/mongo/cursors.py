"""The one cursor codec of the list endpoints: a cursor is the sort key of the last item
served (an `_id`, a ledger `order`), base64url-encoded so that clients treat it as opaque.
A cursor that does not decode, or whose key the caller's `valid` refuses, is a 422 on
`cursor` (never a 500 from the store)."""
from __future__ import annotations

import base64
from typing import Callable

from billing.errors import ValidationFailed


def encode(last_key: str | int) -> str:
    return base64.urlsafe_b64encode(str(last_key).encode()).decode()


def decode(cursor: str, valid: Callable[[str], object]) -> str:
    """The last key seen, as text; `valid(text)` says whether it can be one."""
    try:
        text = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not (text and valid(text)):
        raise ValidationFailed("Malformed cursor", field="cursor")
    return text
