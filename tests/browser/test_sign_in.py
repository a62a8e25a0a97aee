"""Sign in, see only allowed pages, forbidden URLs do not render, logout survives reload."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def _nav_links(page) -> set[str]:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name="Home").wait_for()
    nav = page.get_by_test_id("stSidebarNav")
    if nav.count() == 0:  # a single page needs no menu
        return {"Home"}
    return {t.strip().splitlines()[-1].strip() for t in nav.get_by_role("link").all_inner_texts()}


def test_sales_signs_in_sees_identity_and_only_allowed_pages(page, portal) -> None:
    sign_in(page, portal, "sales")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Sari Wijaya")
    expect(sidebar).to_contain_text("Sales")
    expect(sidebar).to_contain_text("Staff")
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "data" / "home-sales.png"))
    links = _nav_links(page)
    assert "Home" in links
    assert not links & {"Users", "Audit log", "Privacy", "Budget", "Import"}


def test_forbidden_page_url_does_not_render(page, portal) -> None:
    sign_in(page, portal, "sales")
    page.goto(f"{portal}/users")
    page.get_by_role("button", name="Logout").wait_for()
    expect(page.get_by_role("heading", name="Users")).to_have_count(0)
    expect(page.get_by_role("heading", name="Home").first).to_be_visible()  # the default page instead


def test_sign_in_survives_reload_and_logout_survives_reload(page, portal) -> None:
    sign_in(page, portal, "admin")
    page.wait_for_timeout(1500)  # let the cookie component store the login cookie
    page.reload()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    page.wait_for_timeout(1500)  # the reloaded page reruns once the cookie is read: click after that
    for attempt in range(2):  # a click that lands while the sidebar is being redrawn is lost (seen under load)
        page.get_by_role("button", name="Logout").click()
        try:
            expect(page.get_by_label("Username", exact=True)).to_be_visible()
            break
        except AssertionError:
            if attempt:
                raise
    page.wait_for_timeout(1500)  # let the cookie component delete the cookie
    page.reload()
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    page.wait_for_timeout(2000)
    expect(page.get_by_role("button", name="Logout")).to_have_count(0)


def test_a_copied_login_cookie_stops_working_after_logout(browser, portal) -> None:
    first = browser.new_context()
    try:
        page = first.new_page()
        sign_in(page, portal, "salesmgr")
        page.wait_for_timeout(1500)  # the cookie component stores the cookie
        stolen = [c for c in first.cookies() if c["name"] == "crm_portal_auth"]
        assert stolen, "the portal should set its login cookie"
        page.get_by_role("button", name="Logout").click()
        expect(page.get_by_label("Username", exact=True)).to_be_visible()
    finally:
        first.close()
    thief = browser.new_context()
    try:
        thief.add_cookies(stolen)
        page = thief.new_page()
        page.goto(portal)
        expect(page.get_by_label("Username", exact=True)).to_be_visible()
        page.wait_for_timeout(1500)
        expect(page.get_by_role("button", name="Logout")).to_have_count(0)
    finally:
        thief.close()
