"""The one cursor codec of the list endpoints: a cursor is the sort key of the last item
served (an `_id`, a ledger `order`), base64url-encoded so that clients treat it as opaque.
A cursor that does not decode, or whose key the caller's `valid` refuses, is a 422 on
`cursor` (never a 500 from the store)."""
from __future__ import annotations

import base64
import re
from typing import Callable

from billing.errors import ValidationFailed
from service.mongo.filters import explicit


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


_ID = re.compile(r"^[a-z]+_[0-9a-z]{1,64}$")   # our generated ids (service/runtime/ids.py)


async def page(collection, query: dict, limit: int, cursor: str | None) -> tuple[list[dict],
                                                                               str | None]:
    """Newest first by `_id` (ids start with a millisecond timestamp); cursor pagination."""
    if cursor:
        query = {**query, "_id": {"$lt": decode(cursor, _ID.match)}}
    docs = [d async for d in collection.find(explicit(query)).sort("_id", -1).limit(limit + 1)]
    more = len(docs) > limit
    docs = docs[:limit]
    return docs, (encode(docs[-1]["_id"]) if more and docs else None)
