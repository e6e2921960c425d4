"""``Bounded``: a dict that keeps its newest entries, up to a size."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")


class Bounded(Generic[K, V]):
    """A mapping bounded to ``size`` entries: adding one more drops the oldest.

    Entries stay in the order they were added (lists of stored objects are in creation
    order). Safe to use from two threads. Stored objects live here, so a server running for
    days holds at most ``size`` of each kind; an evicted id reads as missing (a 404 to the
    client).

    Args:
        size: the most entries kept, > 0.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...
    def get(self, key: K, default: object = None) -> object:
        """The entry for ``key``, or ``default``."""
        return self._items.get(key, default)

    @overload
    def pop(self, key: K) -> V | None: ...
    @overload
    def pop(self, key: K, default: D) -> V | D: ...
    def pop(self, key: K, default: object = None) -> object:
        """Remove and return the entry for ``key``, or ``default``."""
        with self._lock:
            return self._items.pop(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._items))

    def values(self) -> list[V]:
        """The entries, oldest first."""
        with self._lock:
            return list(self._items.values())

    def items(self) -> list[tuple[K, V]]:
        """``(key, entry)`` pairs, oldest first."""
        with self._lock:
            return list(self._items.items())

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()
