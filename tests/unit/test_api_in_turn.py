"""The API takes requests in turn: never more than ``at_once`` inside at the same time, in order of arrival."""
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
        await asyncio.gather(*(limited({"type": "http", "n": n}, None, None) for n in range(10)))

    asyncio.run(main())
    assert most[0] == 2
    assert entered == list(range(10))


def test_other_traffic_is_not_held_back() -> None:
    seen: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        seen.append(scope["type"])

    asyncio.run(InTurn(app, at_once=1)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
