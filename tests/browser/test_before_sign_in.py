"""Before sign-in a person sees the sign-in screen only: the form at the top, no menu of pages; after
sign-in a page their role does not have says so instead of silently showing Home."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

# Every link that ever appears in the sidebar's page menu, from the first byte the page draws
# (a menu shown for a moment and then replaced is still shown to the person).
RECORD_MENU_LINKS = """
window.__menuLinks = [];
new MutationObserver(() => {
  for (const a of document.querySelectorAll('[data-testid=stSidebar] a, [data-testid=stSidebarNav] a')) {
    const text = (a.innerText || a.getAttribute('href') || '').trim();
    if (!window.__menuLinks.includes(text)) window.__menuLinks.push(text);
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


SCROLL_TO_TOP = "for (const el of document.querySelectorAll('*')) { if (el.scrollTop) el.scrollTop = 0; }"


def test_a_fresh_servers_first_visitor_sees_no_menu_of_pages(browser, portal) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        context.add_init_script(RECORD_MENU_LINKS)
        page = context.new_page()
        page.set_default_timeout(30000)
        page.goto(portal)  # the first page load this server serves
        expect(page.get_by_label("Username", exact=True)).to_have_count(1)  # one form, once the first runs settle
        page.wait_for_timeout(2000)  # the runs that follow the first one (cookie component) settle
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        assert page.evaluate("window.__menuLinks") == []
    finally:
        context.close()


def test_the_sign_in_form_and_its_error_fit_in_the_first_screen(browser, portal) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30000)
        page.goto(portal)
        expect(page.get_by_label("Username", exact=True)).to_have_count(1)
        page.wait_for_timeout(2000)  # the runs that follow the first one (cookie component) settle: while one
        expect(page.get_by_label("Username", exact=True)).to_have_count(1)  # runs, its stale form shows twice
        page.get_by_label("Username", exact=True).fill("sales")
        page.get_by_label("Password", exact=True).fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        error = page.get_by_text("Username or password is incorrect.")
        expect(error).to_be_visible()
        page.evaluate(SCROLL_TO_TOP)  # as the page first shows: filling the form may have scrolled it
        page.wait_for_timeout(300)
        for shown in (page.get_by_label("Username", exact=True), page.get_by_label("Password", exact=True),
                      page.get_by_role("button", name="Sign in"), error):
            box = shown.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 900, box  # in the first screen
    finally:
        context.close()


def test_a_page_the_role_does_not_have_says_so(page, portal) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, portal, "support")
    page.goto(f"{portal}/users")
    expect(page.get_by_text("The page 'Users' is not available to your account.")).to_be_visible()
    expect(page.get_by_role("heading", name="Users")).to_have_count(0)
    expect(page.get_by_role("heading", name="Home").first).to_be_visible()


def test_a_screens_address_before_sign_in_shows_the_sign_in_screen_then_that_screen(page, portal) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal}/customers")  # the first request this server serves
    expect(page.get_by_label("Username", exact=True)).to_have_count(1)
    page.wait_for_timeout(1500)
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    expect(page.get_by_text("Please sign in.")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)  # no "Page not found" over the sign-in screen
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    sign_in(page, f"{portal}/customers", "sales")
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
