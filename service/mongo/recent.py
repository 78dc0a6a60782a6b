"""A bounded in-process memory: the most recently added keys of a dict, the oldest dropped first.
For hints that save a round trip when they are right and cost nothing but that round trip when
they are wrong or forgotten (never for anything correctness depends on)."""
from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: dict[K, V] = {}   # insertion-ordered: the first key is the oldest

    def add(self, key: K, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = value
        while len(self._items) > self.limit:
            del self._items[next(iter(self._items))]

    def take(self, key: K) -> V | None:
        """Forget the key; its value, if it was remembered."""
        return self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
