"""Every screen the administrator can open, in Urdu, laid out right to left: a screenshot of each, and per screen
the facts a person would see (the page reads from the right, the menu is on the right, every table column has
a header, charts name their months in Urdu)."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from crm.core.access import Actor
from crm.core.i18n import _, use_language
from tests.browser.conftest import QUIET_AFTER_LOAD, load, logout_button, new_page, rerun
from tests.browser.test_languages import pick_language
from ui.navigation import PageSpec, pages_for

ENGLISH_MONTHS = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|"
                            r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b")

# Everything measured on one screen, in the browser: directions, where the title and the menu sit, the headers
# of every table (glide-data-grid draws its cells on a canvas but keeps an accessible table beside it), and the
# text of every chart (Vega draws SVG or a canvas; its axis labels are in the chart's view data).
FACTS = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const block = main.querySelector('[data-testid=stVerticalBlock]');  // the width the page's content takes
  const h1 = main.querySelector('h1');
  const sidebar = document.querySelector('[data-testid=stSidebar]');
  const box = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const shown = (el) => el.getBoundingClientRect().width > 0 && !el.closest('[hidden], details:not([open])');
  const tables = [...document.querySelectorAll('[data-testid=stDataFrame], [data-testid=stTable]')].filter(shown).map((table) => {
    const scroller = table.querySelector('.dvn-scroller');
    return {
      headers: [...table.querySelectorAll('[role=columnheader], th')].map((h) => h.textContent.trim()),
      // how far the grid is from showing its right end (where its first column is, right to left)
      hidden: scroller ? scroller.scrollWidth - scroller.clientWidth - scroller.scrollLeft : 0,
    };
  });
  // text that Streamlit (or anything) aligns left in a right-to-left page
  const leftAligned = [...main.querySelectorAll('h1, h2, h3, h4, h5, h6, p, li, label, td, th, summary')]
    .filter((el) => shown(el) && el.textContent.trim() && getComputedStyle(el).textAlign === 'left'
      && !el.closest('[data-testid=stVegaLiteChart], code, pre'))
    .map((el) => el.textContent.trim().slice(0, 40));
  const chartTexts = [];
  for (const el of document.querySelectorAll('[data-testid=stVegaLiteChart] svg text')) chartTexts.push(el.textContent);
  return {
    html: document.documentElement.dir,
    main: getComputedStyle(main).direction,
    h1: h1 ? {text: h1.textContent, box: box(h1.querySelector('span') || h1), align: getComputedStyle(h1).textAlign} : null,
    block: box(block),
    sidebar: sidebar ? box(sidebar) : null,
    viewport: window.innerWidth,
    tables,
    leftAligned,
    errors: [...document.querySelectorAll('[data-testid=stException], [data-testid=stToast]')]
      .map((e) => e.textContent.slice(0, 300)),
    chartTexts,
  };
}"""


# every chart and table in sight drawn: Vega and the grid draw after Streamlit has delivered the element (those on a
# tab not shown wait); the grid writes its headers into an accessible table beside its canvas
DRAWN = """() => {
  const shown = (el) => el.getBoundingClientRect().width > 0 && !el.closest('[hidden], details:not([open])');
  return [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].filter(shown)
      .every((chart) => chart.querySelector('svg text, canvas'))
    && [...document.querySelectorAll('[data-testid=stDataFrame]')].filter(shown)
      .every((table) => table.querySelector('[role=columnheader]'));
}"""
VIEWPORT = {"width": 1400, "height": 1000}


def _admin_pages() -> list[PageSpec]:
    """The screens of the administrator's menu (the admin of the demo: IT department)."""
    return pages_for(Actor(user_id=None, username="admin", full_name="", department="it", role="admin"))


def _open(page, title: str) -> None:  # type: ignore[no-untyped-def]
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_role("button", name=re.compile(r"\d"))
    if more.count():
        more.click()
    with rerun(page):
        nav.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=title, exact=True, level=1)).to_be_visible()


def _screenshot(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole screen, its full length (Streamlit scrolls inside its main area: the window is made as tall as
    the page for the picture, then put back)."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 8000)})
    page.wait_for_timeout(300)  # charts and tables redraw at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)


def _check(page, name: str, shot: Path, problems: list[str], *, menu: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    """Take the screenshot of the screen on ``page`` and note in ``problems`` what is not right to left; returns
    the texts of its charts."""
    try:
        page.wait_for_function(DRAWN, timeout=10000)
    except PlaywrightTimeout:
        pass  # what is missing is reported below, with the screenshot
    facts = page.evaluate(FACTS)
    _screenshot(page, shot)
    where = f"{name} ({shot})"
    if facts["errors"]:
        problems.append(f"{where}: an error or a message nobody asked for: {facts['errors']}")
    if facts["html"] != "rtl" or facts["main"] != "rtl":
        problems.append(f"{where}: direction html={facts['html']} main={facts['main']}")
    h1, block = facts["h1"], facts["block"]
    if h1 is None:
        problems.append(f"{where}: no page title")
    elif abs(block["right"] - h1["box"]["right"]) > 24:
        problems.append(f"{where}: the title ends at {h1['box']['right']:.0f}, the page at {block['right']:.0f}")
    if facts["leftAligned"]:
        problems.append(f"{where}: text aligned left: {facts['leftAligned'][:5]}")
    sidebar = facts["sidebar"]
    if menu and (sidebar is None or sidebar["left"] < facts["viewport"] / 2):
        problems.append(f"{where}: the sidebar is not on the right ({sidebar})")
    for i, table in enumerate(facts["tables"], start=1):
        if not table["headers"] or any(not h for h in table["headers"]):
            problems.append(f"{where}: table {i} has a blank column header: {table['headers']}")
        if table["hidden"] > 2:
            problems.append(f"{where}: table {i} hides its first (rightmost) column")
    english = sorted({m for t in facts["chartTexts"] for m in ENGLISH_MONTHS.findall(t)})
    if english:
        problems.append(f"{where}: English month names in a chart: {english}")
    return facts["chartTexts"]


def test_every_admin_screen_in_urdu_reads_right_to_left(browser, portal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, locale="ur-PK", viewport=VIEWPORT)  # the sign-in screen follows the browser
    problems: list[str] = []
    charted: list[str] = []  # the screens whose charts were read
    with use_language("ur"):
        username, password, sign_in = _("Username"), _("Password"), _("Sign in")
        titles = {spec.title: _(spec.title) for spec in _admin_pages()}
    try:
        load(page, portal)
        _check(page, sign_in, tmp_path / "sign-in.png", problems, menu=False)
        main = page.get_by_test_id("stMain")
        main.get_by_label(username, exact=True).fill("admin")
        main.get_by_label(password, exact=True).fill("demo")
        with rerun(page, QUIET_AFTER_LOAD):
            main.get_by_role("button", name=sign_in, exact=True).click()
        expect(logout_button(page)).to_be_visible()  # in English: the language saved with the account
        pick_language(page, "اردو")
        expect(page.get_by_test_id("stSidebar").get_by_role("button", name="لاگ آؤٹ", exact=True)).to_be_visible()
        for n, (english, title) in enumerate(titles.items()):
            if n:
                _open(page, title)
            shot = tmp_path / f"{english.lower().replace(' ', '-')}.png"
            if _check(page, title, shot, problems):
                charted.append(english)
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)
    assert {"Insights", "Checklist"} <= set(charted), charted
