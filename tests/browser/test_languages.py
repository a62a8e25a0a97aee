"""A person switches the portal to Urdu: the main area lays out right to left in Nastaliq, and the
choice is saved with the account (a new browser session signs in straight into Urdu)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

DIRECTION = "getComputedStyle(document.querySelector('[data-testid=stMain]')).direction"
FONT = "getComputedStyle(document.querySelector('[data-testid=stMain] h1')).fontFamily"


def pick_language(page, name: str, shown) -> None:  # type: ignore[no-untyped-def]
    """Choose a language in the sidebar's Language drop-down until ``shown`` appears (a click that
    lands while the drop-down is still opening is lost, as it would be for a person)."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").get_by_role("combobox")
    for attempt in range(3):
        box.click()
        option = page.get_by_role("option", name=name)
        option.wait_for()
        page.wait_for_timeout(300)
        option.click()
        try:
            shown.wait_for(timeout=10000)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout
            if attempt == 2:
                raise


def test_urdu_is_right_to_left_and_saved_with_the_account(browser, portal) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20000)
    sign_in(page, portal, "service")
    assert page.evaluate(DIRECTION) == "ltr"

    pick_language(page, "اردو", page.get_by_role("button", name="لاگ آؤٹ"))
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
    context.close()

    # a new browser session (English browser) opens in the language saved with the account
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(portal)
    page.get_by_label("Username", exact=True).fill("service")
    page.get_by_label("Password", exact=True).fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="لاگ آؤٹ")).to_be_visible(timeout=20000)
    page.wait_for_function(f"{DIRECTION} === 'rtl'")
    context.close()
