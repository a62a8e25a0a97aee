"""A person switches the portal to Urdu: the main area lays out right to left in Nastaliq, and the
choice is saved with the account (a new browser session signs in straight into Urdu)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import load, new_page, rerun, sign_in

DIRECTION = "getComputedStyle(document.querySelector('[data-testid=stMain]')).direction"
FONT = "getComputedStyle(document.querySelector('[data-testid=stMain] h1')).fontFamily"


def pick_language(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Choose a language in the sidebar's Language drop-down (the first; the time zone's is below it) and wait
    until the portal has redrawn."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.get_by_role("combobox").click()
    with rerun(page):
        page.get_by_role("option", name=name, exact=True).click()


def test_urdu_is_right_to_left_and_saved_with_the_account(browser, portal) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, locale="en-US")
    sign_in(page, portal, "service")
    assert page.evaluate(DIRECTION) == "ltr"

    pick_language(page, "اردو")
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="لاگ آؤٹ", exact=True)).to_be_visible()
    page.wait_for_function(f"{DIRECTION} === 'rtl'")
    assert "Noto Nastaliq Urdu" in page.evaluate(FONT)
    font = page.request.get(f"{portal}/app/static/fonts/noto-nastaliq-urdu-arabic-400-normal.woff2")
    assert font.ok and len(font.body()) > 100_000
    page.wait_for_function("document.fonts.check(\"16px 'Noto Nastaliq Urdu'\", 'اردو')")
    # Streamlit's own family draws Urdu letters with the shipped font too (menus, tables, any language)
    page.wait_for_function("document.fonts.check(\"16px 'Source Sans'\", 'ہوم')")
    # the menu's icons keep their icon font (their names would show as words otherwise)
    icon = "getComputedStyle(document.querySelector('[data-testid=stSidebarNav] [data-testid=stIconMaterial]')).fontFamily"
    assert "Material Symbols" in page.evaluate(icon)
    page.screenshot(path="/tmp/lang2.png")
    page.context.close()

    # a new browser session (English browser) opens in the language saved with the account
    page = new_page(browser, locale="en-US")
    try:
        load(page, portal)
        main = page.get_by_test_id("stMain")
        main.get_by_label("Username", exact=True).fill("service")
        main.get_by_label("Password", exact=True).fill("demo")
        with rerun(page):
            main.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_test_id("stSidebar").get_by_role("button", name="لاگ آؤٹ", exact=True)).to_be_visible()
        page.wait_for_function(f"{DIRECTION} === 'rtl'")
    finally:
        page.context.close()
