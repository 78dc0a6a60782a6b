"""Query filters with explicit equalities: the NX-27017 workaround for its unindexed equality.

NX-27017 answers `{field: {"$eq": v}}` from an index on `field`, but the implicit `{field: v}`
in an update, a replace, a findAndModify, a compound filter or a sorted find scans the whole
collection (measured on 50,000 documents: `update_one` 97 ms vs 1.8 ms, a sorted `find` with
`limit(20)` 226 ms vs 8 ms; README, "Differences of NX-27017"). On MongoDB the two forms are
the same query with the same index use, so `explicit` changes nothing there.

Only top-level, non-dotted fields with a scalar value are rewritten: `None` (which matches a
missing field in both forms), sub-documents and lists are left as they are, and so is `_id`
(answered from its key either way). Not for a field that holds an array: NX-27017's `$eq`
does not match one element of an unindexed array, as MongoDB's does and its implicit form does.
"""
from __future__ import annotations

from datetime import datetime

SCALARS = (str, int, float, bool, datetime)


def explicit(query: dict) -> dict:
    """`query` with each top-level `field: scalar` written `field: {"$eq": scalar}`."""
    return {k: {"$eq": v} if _rewritable(k, v) else v for k, v in query.items()}


def _rewritable(key: str, value: object) -> bool:
    return (isinstance(value, SCALARS) and key != "_id" and not key.startswith("$")
            and "." not in key)
