"""How often one user may do something in a short time (searches, for now), counted in this process.

Counted per server process: behind several servers a user's session sticks to one (see docs/deploy.md), so a
script driving one session meets the limit; the audit log shows each burst whichever server saw it.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Noted:
    allowed: bool
    count: int  # different requests in the window, this one included when allowed
    retry_after: int  # seconds until one more is allowed (0 when allowed)
    burst_started: bool  # this request is the one that reached the burst threshold (audit it once)


class DistinctRequests:
    """Per user, the different requests (e.g. search texts) of the last ``window`` seconds.

    Repeating the request already counted (a page rerun, turning a page of results) costs nothing; each new
    one counts. Beyond ``limit`` in the window a request is refused; reaching ``burst`` marks a burst.
    """

    def __init__(self, limit: int, burst: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.burst, self.window, self.clock = limit, burst, window, clock
        self._seen: dict[Hashable, deque[tuple[float, Hashable]]] = {}
        self._lock = threading.Lock()

    def note(self, user: Hashable, request: Hashable) -> Noted:
        now = self.clock()
        with self._lock:
            recent = self._seen.setdefault(user, deque())
            while recent and recent[0][0] <= now - self.window:
                recent.popleft()
            if any(r == request for _t, r in recent):
                return Noted(True, len(recent), 0, False)
            if len(recent) >= self.limit:
                return Noted(False, len(recent), max(1, int(recent[0][0] + self.window - now + 0.999)), False)
            recent.append((now, request))
            return Noted(True, len(recent), 0, len(recent) == self.burst)

    def forget(self) -> None:
        """Start counting afresh (tests)."""
        with self._lock:
            self._seen.clear()


class RequestRate:
    """Per key, the requests of the last ``window`` seconds (a sliding window), each key with its own limit.

    Counted per server process (like ``DistinctRequests``): behind N servers a key may make up to N times its
    rate in all; each server refuses it beyond its own count.
    """

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.clock = window, clock
        self._seen: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def note(self, key: Hashable, limit: int) -> int:
        """0 when this request is allowed (and counted), else the seconds until the next one is."""
        now = self.clock()
        with self._lock:
            recent = self._seen.setdefault(key, deque())
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= limit:
                return max(1, int(recent[0] + self.window - now + 0.999))
            recent.append(now)
            return 0

    def forget(self) -> None:
        """Start counting afresh (tests)."""
        with self._lock:
            self._seen.clear()
