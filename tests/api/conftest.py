"""The HTTP API over a real database: a Starlette app with the routes app.py mounts (api/routes.py), driven by
Starlette's TestClient (httpx), and keys made through the service as an administrator would."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api.auth import RATES
from api.routes import routes
from crm.accounts.api_keys import create_key
from crm.core import config
from crm.core.database import session_scope
from tests.conftest import make_actor


def server() -> TestClient:
    """One portal server's routes (a second call: a second server on the same database)."""
    return TestClient(Starlette(routes=routes()))


@pytest.fixture(autouse=True)
def _rates_afresh() -> Iterator[None]:
    RATES.forget()
    yield


@pytest.fixture
def demo_api(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The demo database (accounts of every role, 400 customers) as the server's DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    config.reset()
    yield demo_db_url
    config.reset()


@pytest.fixture
def any_api(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database on each backend (SQLite; PostgreSQL when configured) with the demo accounts."""
    from tools.seed import ensure_demo_accounts

    monkeypatch.setenv("DATABASE_URL", db_url)
    config.reset()
    with session_scope() as session:
        ensure_demo_accounts(session=session)
    yield db_url
    config.reset()


@pytest.fixture
def client(demo_api: str) -> Iterator[TestClient]:
    with server() as c:
        yield c


def new_key(username: str, capabilities: list[str] | None = None, *, name: str | None = None,
            rate: int = 600) -> str:
    """A key for ``username`` made by the demo admin; its secret."""
    with session_scope() as session:
        admin = make_actor(session, "admin")
        _info, secret = create_key(admin, name or f"{username}-key{'-narrowed' if capabilities else ''}",
                                   username, capabilities, rate_per_minute=rate, session=session)
    return secret


def bearer(secret: str, language: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {secret}"}
    if language:
        headers["Accept-Language"] = language
    return headers
