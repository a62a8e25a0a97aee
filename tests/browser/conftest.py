"""Real browser tests: `streamlit run app.py` on a free loopback port, driven by Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


from playwright.sync_api import expect as _expect

_expect.set_options(timeout=15000)  # Streamlit reruns take a moment on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_portal(db: Path | str, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` on a free loopback port over ``db`` (a SQLite path or a URL)."""
    port = _free_port()
    url_of_db = db if isinstance(db, str) else f"sqlite:///{db}"
    env = {**os.environ, "DATABASE_URL": url_of_db, "CRM_DEMO": "1", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {proc.stderr.read().decode()[-2000:]}")
    proc.kill()
    raise RuntimeError("streamlit did not become healthy in 60 s")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run must install Debian's chromium")
        pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def stop_portal(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def portal(tmp_path: Path, sqlite_demo_template: Path) -> Iterator[str]:
    """A portal server on a copy of the demo database."""
    db_path = tmp_path / "portal.sqlite3"
    shutil.copy(sqlite_demo_template, db_path)
    proc, url = start_portal(db_path)
    try:
        yield url
    finally:
        stop_portal(proc)


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(20000)
    yield pg
    context.close()


def sign_in(page, url: str, username: str, password: str = "demo") -> None:  # type: ignore[no-untyped-def]
    """Fill the sign-in form like a person and wait for the portal (one retry if the page was still loading)."""
    page.goto(url)
    for attempt in range(2):
        # the sign-in form can be drawn twice for a moment while the first runs settle (seen under load)
        _expect(page.get_by_label("Username", exact=True)).to_have_count(1, timeout=30000)
        page.wait_for_timeout(500)
        _expect(page.get_by_label("Username", exact=True)).to_have_count(1, timeout=30000)
        page.get_by_label("Username", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        try:
            page.get_by_role("button", name="Logout").wait_for(timeout=20000)
            return
        except Exception:
            if attempt:
                page.screenshot(path=str(ROOT / "data" / f"sign-in-failed-{username}.png"))
                raise
            page.goto(url)


def open_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open a screen from the sidebar menu, as a person would (keeps the session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    page.wait_for_timeout(500)
