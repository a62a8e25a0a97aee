"""The API takes reads in turn: never more than ``at_once`` inside at the same time, in order of arrival; writes
and other traffic go straight in."""
from __future__ import annotations

import asyncio

from api.concurrency import InTurn


def test_requests_enter_at_most_two_at_a_time_in_the_order_they_came() -> None:
    inside: list[int] = []
    most = [0]
    entered: list[int] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        inside.append(scope["n"])
        entered.append(scope["n"])
        most[0] = max(most[0], len(inside))
        await asyncio.sleep(0.01)
        inside.remove(scope["n"])

    limited = InTurn(app, at_once=2)

    async def main() -> None:
        await asyncio.gather(*(limited({"type": "http", "method": "GET", "n": n}, None, None) for n in range(10)))

    asyncio.run(main())
    assert most[0] == 2
    assert entered == list(range(10))


def test_writes_and_other_traffic_are_not_held_back_by_reads() -> None:
    inside: list[str] = []
    most = [0]

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        inside.append(scope.get("method", scope["type"]))
        most[0] = max(most[0], len(inside))
        await asyncio.sleep(0.01)
        inside.pop()

    limited = InTurn(app, at_once=1)

    async def main() -> None:
        await asyncio.gather(limited({"type": "http", "method": "GET"}, None, None),
                             *(limited({"type": "http", "method": "POST"}, None, None) for _ in range(3)),
                             limited({"type": "lifespan"}, None, None))

    asyncio.run(main())
    assert most[0] == 5  # the read, three writes and the lifespan message all inside together
