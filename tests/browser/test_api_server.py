"""`streamlit run app.py` serves the HTTP API beside the portal: a key made on the database before the server
starts reads customers; the docs page loads nothing from another host."""
from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from crm.accounts.api_keys import create_key
from crm.core.database import session_scope
from db import migrate
from db.engine import dispose_all
from tests.browser.conftest import start_portal, stop_portal
from tests.conftest import make_actor


def _get(url: str, secret: str | None = None) -> tuple[int, dict | str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"} if secret else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            body = resp.read().decode()
            return resp.status, json.loads(body) if "json" in resp.headers["Content-Type"] else body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode())


def test_the_running_server_answers_the_api_with_a_key(tmp_path: Path, sqlite_demo_template: Path) -> None:
    db = tmp_path / "api.sqlite3"
    shutil.copy(sqlite_demo_template, db)
    url = f"sqlite:///{db}"
    with session_scope(url) as session:
        _info, secret = create_key(make_actor(session, "admin"), "browser test", "sales", session=session)
    dispose_all()
    migrate.forget(url)
    proc, base = start_portal(db)
    try:
        status, page = _get(f"{base}/api/v1/customers?limit=3", secret)
        assert status == 200, page
        assert isinstance(page, dict) and len(page["items"]) == 3 and page["has_more"] is True
        assert _get(f"{base}/api/v1/customers")[0] == 401
        status, doc = _get(f"{base}/api/openapi.json")
        assert status == 200 and "/v1/customers" in doc["paths"] and doc["servers"] == [{"url": "/api"}]
        status, docs = _get(f"{base}/api/docs")
        assert status == 200 and "<script" not in docs and "https://" not in docs
    finally:
        stop_portal(proc)
