"""The portal's server turns Nagle's algorithm off on every connection it accepts (ui/connections.py)."""
from __future__ import annotations

import asyncio
import asyncio.base_events
import socket
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ui.connections import send_without_delay


def run_alone(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run on a thread of its own: Playwright's browser fixture may keep an event loop running in the test's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def nodelay_of_accepted_connection() -> int:
    """TCP_NODELAY of a connection accepted by asyncio on a socket bound as Streamlit 1.67 binds the one it
    hands to uvicorn: ``socket.socket(family=...)``, protocol number 0."""
    async def run() -> int:
        listener = socket.socket(family=socket.AF_INET)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _reader, writer = await asyncio.open_connection("127.0.0.1", listener.getsockname()[1])
        try:
            return await asyncio.wait_for(accepted, 5)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    return run_alone(run())


@pytest.fixture
def restore_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", asyncio.base_events._set_nodelay)


def test_a_socket_bound_like_streamlits_keeps_nagle_on_without_the_fix(restore_asyncio: None) -> None:
    assert socket.socket(family=socket.AF_INET).proto == 0  # why asyncio skips it
    assert nodelay_of_accepted_connection() == 0


def test_every_accepted_connection_sends_without_delay(restore_asyncio: None) -> None:
    send_without_delay()
    assert nodelay_of_accepted_connection() != 0


def test_the_server_lifespan_turns_it_on_before_preparing(monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.startup as startup

    calls: list[str] = []
    monkeypatch.setattr(startup, "send_without_delay", lambda: calls.append("nodelay"))
    monkeypatch.setattr(startup, "prepare_server", lambda: calls.append("prepare"))
    monkeypatch.setattr(startup, "start_webhook_sender", lambda: None)

    async def run() -> None:
        async with startup.lifespan(None):
            pass

    run_alone(run())
    assert calls == ["nodelay", "prepare"]
