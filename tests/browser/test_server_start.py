"""A server started on an empty database is migrated, seeded and warm before it says it is healthy, and
answers the HTTP API beside the portal."""
from __future__ import annotations

import json
import sqlite3
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

import crm
from tests.browser.conftest import new_page, sign_in, start_portal, stop_portal
from tools.seed import DEMO_ACCOUNTS

CLICK_TIME = "document.addEventListener('click', () => { window.__crmClickAt = performance.now(); }, true);"


def test_a_fresh_demo_server_is_healthy_only_once_seeded_and_the_first_sign_in_is_quick(
        browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "fresh.sqlite3"  # not even created yet
    proc, url = start_portal(db)  # demo mode; returns once /_stcore/health answered 200
    try:
        with sqlite3.connect(db) as conn:
            usernames = {name for (name,) in conn.execute("SELECT username FROM users")}
            customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        assert usernames == set(DEMO_ACCOUNTS)
        assert customers > 0

        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            health = json.loads(resp.read())
        assert health["status"] == "ok" and health["database"] == "ok" and health["version"] == crm.__version__

        page = new_page(browser)
        try:
            page.add_init_script(CLICK_TIME)
            sign_in(page, url, "sales")  # the server's first visitor
            expect(page.get_by_test_id("stMain").get_by_role("heading", name="Home", exact=True)).to_be_visible()
            took = page.evaluate("window.__crmLastChange - window.__crmClickAt")
            print(f"\nfirst sign-in on a fresh server: settled {took:.0f} ms after the click on 'Sign in'")
        finally:
            page.context.close()
    finally:
        stop_portal(proc)
