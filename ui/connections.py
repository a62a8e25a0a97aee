"""TCP_NODELAY on every connection the server accepts, so that no response waits for the client's delayed ACK.

Streamlit 1.67 serves ``st.App`` with uvicorn (h11, asyncio) on a socket it binds itself
(streamlit/web/server/starlette/starlette_server.py ``_bind_socket``: ``socket.socket(family=...)``), which
leaves the socket's protocol number 0. Accepted connections inherit it, and asyncio turns Nagle's algorithm off
only for sockets whose protocol number is ``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``), so on the
portal's server every connection kept Nagle on. uvicorn writes a response's head and body in two sends; on a
reused (keep-alive) connection the body then waited for the ACK of the head, which the client delays by up to
40 ms (Linux): every response after a connection's first took 40-48 ms, Streamlit's own ``/_stcore/health``
included (bench/README.md, "HTTP API"). uvicorn's own binding (``python -m uvicorn``) creates the socket with
the protocol number and never had the stall.
"""
from __future__ import annotations

import asyncio.base_events
import socket


def _set_nodelay(sock: socket.socket) -> None:
    """asyncio's own, for every TCP stream socket: also those created without the protocol number (0 means
    TCP for a stream socket of these families)."""
    if sock.family in {socket.AF_INET, socket.AF_INET6} and sock.type == socket.SOCK_STREAM:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover - a socket already closed by its peer
            pass


def send_without_delay() -> None:
    """Make every asyncio TCP connection made from now on in this process send without Nagle's delay (what
    asyncio already does for sockets created with their protocol number). Called once by the server's
    lifespan (ui/startup.py), before it accepts any connection."""
    if hasattr(asyncio.base_events, "_set_nodelay"):  # the asyncio of Python 3.11-3.13; elsewhere a no-op
        asyncio.base_events._set_nodelay = _set_nodelay  # type: ignore[attr-defined]
