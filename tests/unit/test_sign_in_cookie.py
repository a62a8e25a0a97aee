"""The sign-in cookie is set by the server: HttpOnly, SameSite=Lax, Secure over HTTPS; only for a valid ticket."""
from __future__ import annotations

import datetime as dt

import jwt
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api.sign_in_cookie import route
from crm.accounts.sign_in_cookie import COOKIE_DAYS, COOKIE_NAME, ROUTE, ticket
from crm.core import config

KEY = config.DEMO_COOKIE_KEY


def client(monkeypatch, **kwargs) -> TestClient:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_DEMO", "1")
    monkeypatch.delenv("CRM_COOKIE_KEY", raising=False)
    config.reset()
    return TestClient(Starlette(routes=[route()]), **kwargs)


def test_a_ticket_becomes_an_http_only_cookie_the_authenticator_reads(monkeypatch) -> None:
    answer = client(monkeypatch).post(ROUTE, json={"ticket": ticket("sales", KEY)})
    assert answer.status_code == 204
    header = answer.headers["set-cookie"]
    assert header.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP (a developer's machine): a Secure cookie would never come back
    token = header.split(";")[0].split("=", 1)[1]
    data = jwt.decode(token, KEY, algorithms=["HS256"])
    assert data["username"] == "sales"
    assert data["exp_date"] > (dt.datetime.now() + dt.timedelta(days=COOKIE_DAYS, minutes=-2)).timestamp()


def test_behind_https_the_cookie_is_secure(monkeypatch) -> None:
    answer = client(monkeypatch).post(ROUTE, json={"ticket": ticket("sales", KEY)},
                                      headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in answer.headers["set-cookie"]
    direct = client(monkeypatch, base_url="https://crm.example").post(ROUTE, json={"ticket": ticket("sales", KEY)})
    assert "Secure" in direct.headers["set-cookie"]


def test_no_cookie_without_a_valid_ticket_and_delete_clears_it(monkeypatch) -> None:
    http = client(monkeypatch)
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    for body in ({"ticket": ticket("sales", KEY, now=old)}, {"ticket": ticket("sales", "another key")},
                 {"ticket": jwt.encode({"username": "sales", "exp_date": 9e9}, KEY, algorithm="HS256")}, {}):
        answer = http.post(ROUTE, json=body)
        assert answer.status_code == 400 and "set-cookie" not in answer.headers
    cleared = http.delete(ROUTE).headers["set-cookie"]
    assert cleared.startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in cleared and "HttpOnly" in cleared
