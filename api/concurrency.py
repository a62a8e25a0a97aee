"""At most a few API reads are worked on at once; the others wait their turn, first come first served.

The API's handlers run in threads that share one interpreter lock: twenty requests worked on together share the
processor, so each one, a search of 6 ms included, takes as long as all twenty (about 20x its own time), while
taking them in turn keeps every answer to its own time plus its wait. Waiting is on the event loop, in order.
Writes (a receipts upsert of thousands of lines may take seconds) do not take a turn, so that they never hold
the reads up.
"""
from __future__ import annotations

import asyncio
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send

AT_ONCE = 2  # measured at 1M customers on 2 cores: 2 at once p95 87-93 ms, 3 at once 108, 4 at once 132, none 269 (bench/README.md)


class InTurn:
    """ASGI middleware: HTTP reads (GET, HEAD) enter ``app`` at most ``at_once`` at a time, in order of arrival;
    everything else goes straight in."""

    def __init__(self, app: ASGIApp, at_once: int = AT_ONCE) -> None:
        self.app = app
        self.at_once = at_once
        # one queue per event loop (the server has one; tests may drive an app from several)
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = \
            weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = asyncio.Semaphore(self.at_once)
        async with turns:
            await self.app(scope, receive, send)
