"""GET /api/v1/health: what a load balancer or a monitoring probe reads."""
from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request
from starlette.routing import Mount

import crm
from api.routes import health, routes
from crm.core import config
from db import migrate


def _get(path: str = "/api/v1/health") -> tuple[int, dict]:
    request = Request({"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""})
    # a thread of its own: Playwright's browser fixture may keep an event loop running in the test's thread
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, health(request)).result()
    return response.status_code, json.loads(response.body)


def test_the_api_has_its_health_route_and_mounts_the_rest_under_api() -> None:
    health_route, cookie_route, api = routes()
    assert (health_route.path, sorted(health_route.methods)) == ("/api/v1/health", ["GET", "HEAD"])
    assert cookie_route.path == "/auth/cookie"  # the sign-in cookie, set and cleared by the server (HttpOnly)
    assert isinstance(api, Mount) and api.path == "/api"


def test_health_says_ok_with_the_release_and_schema_of_a_working_database(db_url, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    config.reset()
    status, body = _get()
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "version": crm.__version__,
                    "schema": migrate.head_revision(db_url)}


def test_health_answers_503_when_the_database_does_not(tmp_path, monkeypatch, caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "crm.sqlite3"
    broken.write_bytes(b"not a database" * 100)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{broken}")
    config.reset()
    status, body = _get()
    assert status == 503
    assert body["status"] == "error" and body["database"] == "unavailable" and body["schema"] is None
    assert "did not answer" in caplog.text
