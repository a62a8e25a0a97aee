"""A small in-process cache for Insights figures that are the same for every reader allowed to see them."""
from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")


class FigureCache:
    """Figures kept for ``ttl`` seconds under a key the figure services build from the figure's name, its
    filters and the database: never from who asked. Only those services use it, after their access check;
    every caller gets its own copy, so changing a figure changes nobody else's."""

    def __init__(self, ttl: float = 60, max_entries: int = 512, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The figure kept under ``key`` if still fresh, else ``compute()`` (kept for the next caller)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return copy.deepcopy(entry[1])
        value = compute()
        kept = copy.deepcopy(value)
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= self.max_entries:  # the oldest go first
                for old in sorted(self._entries, key=lambda k: self._entries[k][0])[:len(self._entries) // 4 + 1]:
                    del self._entries[old]
            self._entries[key] = (now + self.ttl, kept)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


SHARED_FIGURES = FigureCache(ttl=60)  # the Insights page's figures (crm.insights.figures), shared for a minute


def figures_changed(session: Session) -> None:
    """Drop the shared figures now and once more when ``session`` commits: after a bulk write (an import of
    receipts, its revert) the next reader computes them from the new data instead of waiting out the minute.
    (Here, not in ``figures``: a writer need not load pandas to say so.)"""
    SHARED_FIGURES.clear()
    event.listen(session, "after_commit", lambda _session: SHARED_FIGURES.clear(), once=True)
