"""An internal portal talks to nobody else: a tour of every page, for every role, requests only the portal.

Every role signs in (sign-in page, Home) and opens the pages of its menu that the tour has not opened yet
(what a page loads from the network does not depend on who looks at it; the sign-in and the menu do)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.browser.conftest import load, new_page, open_page, sign_in

# one account per role: admin, manager, staff, budget officer, sponsor
TOUR = ("admin", "salesmgr", "sales", "budget", "sponsor")


def _menu(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The names of the pages in the menu, the whole menu shown (a long one shows ten until asked)."""
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_role("button", name=re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
    return [t.strip().splitlines()[-1].strip() for t in nav.get_by_role("link").all_inner_texts()]


def test_a_tour_of_every_page_requests_nothing_from_another_host(browser, portal) -> None:  # type: ignore[no-untyped-def]
    portal_host = urlsplit(portal).netloc
    elsewhere: list[str] = []
    opened: set[str] = set()
    for username in TOUR:
        page = new_page(browser)
        page.on("request", lambda r: elsewhere.append(f"{username}: {r.url}")
                if urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(r.url).netloc != portal_host else None)
        try:
            load(page, portal)  # the sign-in page too
            sign_in(page, portal, username)
            menu = _menu(page)
            assert menu, f"{username} sees no menu"
            for title in [t for t in menu if t not in opened]:
                _menu(page)
                open_page(page, title)
                opened.add(title)
        finally:
            page.context.close()
    assert elsewhere == []
