"""The sign-in, measured in a real browser: a fresh `streamlit run app.py` over the benchmark's database,
driven by Debian's Chromium with the browser tests' own helpers (tests/browser/conftest.py), so that
"settled" means here what it means in the tests: connected, no script running, nothing stale on screen.

Times are read in the page (``performance.now()``): a load from navigation start, a sign-in from the click on
"Sign in", each to the last change the page saw before it settled (the quiet wait that proves it settled is
not counted).
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

USERNAME = "sales"  # a staff member: Home with counts and follow-ups
_CLICK_TIME = "document.addEventListener('click', () => { window.__crmClickAt = performance.now(); }, true);"


def _median(samples: list[float]) -> dict[str, Any]:
    return {"median_ms": round(statistics.median(samples)), "min_ms": round(min(samples)),
            "max_ms": round(max(samples)), "runs": len(samples)}


def _open_sign_in_page(browser: Any, url: str) -> float:
    """Milliseconds from navigation start until the bare sign-in page settled."""
    from tests.browser.conftest import load, new_page

    page = new_page(browser)
    try:
        load(page, url)
        return float(page.evaluate("window.__crmLastChange"))
    finally:
        page.context.close()


def _sign_in(browser: Any, url: str) -> tuple[float, float]:
    """Milliseconds from the click on "Sign in" until Home first showed its Logout button, and until the
    portal settled (the cookie component's own rerun included)."""
    from tests.browser.conftest import logout_button, new_page, sign_in

    page = new_page(browser)
    try:
        page.add_init_script(_CLICK_TIME)
        page.add_init_script("""
new MutationObserver(() => {
  if (window.__crmClickAt && !window.__crmSeenAt && [...document.querySelectorAll('[data-testid=stSidebar] button')]
      .some(b => b.innerText.trim() === 'Logout')) {
    window.__crmSeenAt = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
""")
        sign_in(page, url, USERNAME)
        logout_button(page).wait_for()
        click, settled, shown = page.evaluate("[window.__crmClickAt, window.__crmLastChange, window.__crmSeenAt]")
        return float(shown - click), float(settled - click)
    finally:
        page.context.close()


def measure(db_url: str, repeat: int = 5) -> dict[str, Any]:
    """On a server that has just become healthy: the first visitor's sign-in page, the first sign-in, then
    ``repeat`` more sign-ins (each a new browser session) and ``repeat`` loads of the bare sign-in page (the
    floor: what any visit costs before anyone signs in)."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_portal, stop_portal

    if not Path(CHROMIUM).exists():
        return {"skipped": f"no Chromium at {CHROMIUM} (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    proc, url = start_portal(db_url)
    healthy_s = time.perf_counter() - start
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                first_open = _open_sign_in_page(browser, url)
                first_shown, first_settled = _sign_in(browser, url)
                signs = [_sign_in(browser, url) for _ in range(repeat)]
                floor = [_open_sign_in_page(browser, url) for _ in range(repeat)]
            finally:
                browser.close()
    finally:
        stop_portal(proc)
    return {
        "server_healthy_s": round(healthy_s, 1),
        "first_sign_in_page_ms": round(first_open),
        "first_sign_in": {"home_shown_ms": round(first_shown), "settled_ms": round(first_settled)},
        "sign_in_home_shown": _median([s for s, _ in signs]),
        "sign_in_settled": _median([s for _, s in signs]),
        "sign_in_page_floor": _median(floor),
    }
