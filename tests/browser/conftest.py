"""Real browser tests: `streamlit run app.py` on a free loopback port, driven by Chromium."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


from playwright.sync_api import expect as _expect

TIMEOUT = 30000  # ms: Streamlit reruns take a while on a loaded 2-core machine
_expect.set_options(timeout=TIMEOUT)

# Counts what the server sends the page (every run sends its elements and a "finished" message over
# the websocket) and notes when anything last moved. Streamlit marks <div data-testid="stApp"> with
# data-test-script-state = running / notRunning (a quick run may never show "running": React draws
# both changes at once) and every element left over from the previous run with data-stale="true"
# until the run that replaces it ends.
_WATCH_RUNS = """
window.__crmMessages = 0;
window.__crmLastChange = performance.now();
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', () => {
      window.__crmMessages += 1;
      window.__crmLastChange = performance.now();
    });
  }
};
new MutationObserver(() => { window.__crmLastChange = performance.now(); })
  .observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
"""
_IDLE = """(quiet) => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!app && window.__crmMessages > 0
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale=true]')
    && performance.now() - window.__crmLastChange >= quiet;
}"""
QUIET_AFTER_LOAD = 1500  # ms: the cookie and language components rerun the script once their frames load


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


def new_page(browser, **options):  # type: ignore[no-untyped-def]
    """A page in a fresh browser context (its own cookies: one person) that watches Streamlit's runs."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, **options})
    context.add_init_script(_WATCH_RUNS)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    return pg


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    pg = new_page(browser)
    yield pg
    pg.context.close()


def wait_until_idle(page, quiet: int = 400) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit is done: connected, the script not running, nothing stale (half-replaced) on
    screen, and no run started or ended for ``quiet`` ms."""
    page.wait_for_function(_IDLE, arg=quiet, polling=50, timeout=TIMEOUT)


@contextmanager
def rerun(page, quiet: int = 400) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Wrap an action that makes Streamlit rerun (a click on a button or menu link, Enter in a text box,
    an option picked): on leaving, the server has answered it and everything has settled."""
    before = page.evaluate("window.__crmMessages")
    yield
    page.wait_for_function("(n) => window.__crmMessages > n", arg=before, polling=50, timeout=TIMEOUT)
    wait_until_idle(page, quiet)


def load(page, url: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Open ``url`` (reload the page without one) and wait until the portal has settled."""
    if url is None:
        page.reload()
    else:
        page.goto(url)
    wait_until_idle(page, QUIET_AFTER_LOAD)


def sign_in(page, url: str, username: str, password: str = "demo") -> None:  # type: ignore[no-untyped-def]
    """Fill the sign-in form like a person and wait until the portal has settled on the signed-in screen."""
    load(page, url)
    main = page.get_by_test_id("stMain")
    # a fresh server's first runs can briefly draw the form twice (the language and cookie components rerun the
    # script as they load): wait, as a person would, until one form is left
    _expect(main.get_by_label("Username", exact=True)).to_have_count(1)
    main.get_by_label("Username", exact=True).fill(username)
    main.get_by_label("Password", exact=True).fill(password)
    with rerun(page, QUIET_AFTER_LOAD):
        main.get_by_role("button", name="Sign in", exact=True).click()
    _expect(logout_button(page)).to_be_visible()


def logout_button(page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stSidebar").get_by_role("button", name="Logout", exact=True)


def open_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open a screen from the sidebar menu, as a person would (keeps the session)."""
    with rerun(page):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    _expect(page.get_by_test_id("stMain").get_by_role("heading", name=title, exact=True)).to_be_visible()


def choose(page, label: str, option: str | re.Pattern[str]) -> None:  # type: ignore[no-untyped-def]
    """Pick ``option`` in the drop-down labelled ``label`` in the main area."""
    page.get_by_test_id("stMain").get_by_role("combobox", name=label, exact=True).click()
    with rerun(page):
        page.get_by_role("option", name=option).click()


def submit_text(page, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``value`` into the main area's text box ``label`` and press Enter."""
    box = page.get_by_test_id("stMain").get_by_role("textbox", name=label, exact=True)
    box.fill(value)
    with rerun(page):
        box.press("Enter")


def create_customer(page, url: str, username: str, fields: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Sign in as ``username``, open Customers, fill the new-customer form (label -> text), save, and wait for
    the new customer's profile."""
    sign_in(page, url, username)
    open_page(page, "Customers")
    main = page.get_by_test_id("stMain")
    main.get_by_text("New customer", exact=True).click()
    # text boxes by their label (the list's Columns choice above shows a "Name" tag too)
    _expect(main.get_by_role("textbox", name="Name", exact=True)).to_be_visible()
    for label, value in fields.items():
        main.get_by_role("textbox", name=label, exact=True).fill(value)
    with rerun(page):
        main.get_by_role("button", name="Save customer", exact=True).click()
    _expect(main.get_by_role("heading", name=fields["Name"], exact=True)).to_be_visible()
