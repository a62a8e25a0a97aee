"""Sign in, see only allowed pages, forbidden URLs do not render, logout survives reload."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import load, logout_button, new_page, rerun, sign_in

COOKIE = "crm_portal_auth"


def _nav_links(page) -> set[str]:  # type: ignore[no-untyped-def]
    nav = page.get_by_test_id("stSidebarNav")
    if nav.count() == 0:  # a single page needs no menu
        return {"Home"}
    return {t.strip().splitlines()[-1].strip() for t in nav.get_by_role("link").all_inner_texts()}


def _login_cookie(page) -> list[dict]:  # type: ignore[no-untyped-def]
    return [c for c in page.context.cookies() if c["name"] == COOKIE]


def _wait_for_login_cookie(page, present: bool) -> None:  # type: ignore[no-untyped-def]
    """The cookie component writes and deletes the login cookie a moment after the run that asks it to."""
    for _ in range(100):
        if bool(_login_cookie(page)) == present:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the login cookie should be {'set' if present else 'deleted'} within 20 s")


def _sign_in_form(page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stMain").get_by_label("Username", exact=True)


def test_sales_signs_in_sees_identity_and_only_allowed_pages(page, portal) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, portal, "sales")
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="Home", exact=True)).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Sari Wijaya")
    expect(sidebar).to_contain_text("Sales · Staff")
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "data" / "home-sales.png"))
    links = _nav_links(page)
    assert {"Home", "Customers", "Interactions"} <= links
    assert not links & {"Users", "Audit log", "Privacy", "Budget", "Import"}


def test_forbidden_page_url_does_not_render(page, portal) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, portal, "sales")
    load(page, f"{portal}/users")
    expect(logout_button(page)).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Home", exact=True)).to_be_visible()  # the default page instead
    expect(main.get_by_role("heading", name="Users", exact=True)).to_have_count(0)


def test_sign_in_survives_reload_and_logout_survives_reload(page, portal) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, portal, "admin")
    _wait_for_login_cookie(page, present=True)
    cookie = _login_cookie(page)[0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"  # set by the server, not by a page script
    assert not cookie["secure"]  # plain HTTP here; behind HTTPS the server adds Secure (docs/deploy.md)
    assert COOKIE not in page.evaluate("document.cookie")  # no page script can read it
    load(page)
    assert COOKIE not in page.evaluate("document.cookie")
    expect(logout_button(page)).to_be_visible()
    expect(_sign_in_form(page)).to_have_count(0)

    with rerun(page, quiet=1500):
        logout_button(page).click()
    expect(_sign_in_form(page)).to_be_visible()
    _wait_for_login_cookie(page, present=False)
    load(page)
    expect(_sign_in_form(page)).to_be_visible()
    expect(logout_button(page)).to_have_count(0)


def test_a_copied_login_cookie_stops_working_after_logout(browser, portal) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser)
    try:
        sign_in(page, portal, "salesmgr")
        _wait_for_login_cookie(page, present=True)
        stolen = _login_cookie(page)
        with rerun(page, quiet=1500):
            logout_button(page).click()
        expect(_sign_in_form(page)).to_be_visible()
    finally:
        page.context.close()
    thief = new_page(browser)
    try:
        thief.context.add_cookies(stolen)
        load(thief, portal)
        expect(_sign_in_form(thief)).to_be_visible()
        expect(logout_button(thief)).to_have_count(0)
    finally:
        thief.context.close()
