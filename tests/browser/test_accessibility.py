"""Accessibility: axe-core finds no serious or critical violation in the portal's own markup.

axe-core (tests/browser/vendor/axe-core, MPL-2.0, injected into the page by Playwright) checks the sign-in
page, every page of every role's menu, a customer's profile, the new-customer form, and the Urdu sign-in
page and Home (which must say lang="ur" dir="rtl" on <html>). As in the tour of test_no_third_party.py,
every role signs in and opens the pages of its menu not yet checked (the markup of a page depends little on
who looks at it; the sign-in and the menu do).

A violation that comes from Streamlit's own widget markup, which the app cannot change, is listed in KNOWN
with the reason; any other serious or critical violation fails the test."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import QUIET_AFTER_LOAD, new_page, open_page, rerun, wait_until_idle
from tests.browser.test_languages import pick_language

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = re.search(r"axe v([\d.]+)", AXE.read_text(encoding="utf-8")[:100]).group(1)  # type: ignore[union-attr]
TOUR = ("admin", "salesmgr", "sales", "budget", "sponsor")  # one account per role
URDU = "service"  # signs in from a browser that asks for Urdu
SEVERE = ("serious", "critical")
ALSO = ("heading-order",)  # moderate in axe, but asked for: headings in order (h1, h2, h3 without a gap)

# Violations in Streamlit's own markup that no app can change: rule id -> (where they may occur: a CSS
# selector every offending node must sit in, why). Each was seen on the offending node's HTML.
KNOWN: dict[str, tuple[str, str]] = {
    "list": ("[data-testid=stSidebarNav]",
             "Streamlit's page menu (st.navigation with sections) puts each section's <li> items in a <div> "
             "directly inside <ul data-testid=stSidebarNavItems>; the app only passes the pages."),
    "listitem": ("[data-testid=stSidebarNav]",
                 "the same menu markup seen from its <li> items: their parent is Streamlit's section <div>, "
                 "not the <ul>."),
}

# every violation; for each node, whether it lies where its rule is known to come from Streamlit
_RUN_AXE = """async (known) => {
  const result = await axe.run(document, {resultTypes: ['violations'], elementRef: true});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
      known: !!(known[v.id] && n.element && n.element.closest(known[v.id]))}))}));
}"""


def check(page, where: str, found: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Run axe-core on the page once it has settled; note each serious or critical violation (and each of
    ALSO) under ``where``."""
    wait_until_idle(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    scopes = {rule: scope for rule, (scope, _why) in KNOWN.items()}
    for violation in page.evaluate(_RUN_AXE, scopes):
        if violation["impact"] in SEVERE or violation["id"] in ALSO:
            found.append({"where": where, **violation})


def is_known(violation: dict) -> bool:
    return all(node["known"] for node in violation["nodes"])
    

def _menu(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The names of the pages in the menu, the whole menu shown (a long one shows ten until asked)."""
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_role("button", name=re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
    return [t.strip().splitlines()[-1].strip() for t in nav.get_by_role("link").all_inner_texts()]


def _summary(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['where']}: {v['id']} [{v['impact']}] {v['help']}")
        lines.extend(f"    {n['target']}: {n['html']}" for n in v["nodes"][:5] if not n["known"])
    return "\n".join(lines)


def _open_a_profile_and_the_new_customer_form(page, found: list[dict]) -> None:  # type: ignore[no-untyped-def]
    main = page.get_by_test_id("stMain")
    main.get_by_text("New customer", exact=True).click()
    expect(main.get_by_role("textbox", name="Name", exact=True)).to_be_visible()
    check(page, "Customers: new-customer form", found)
    main.get_by_role("combobox", name="Open customer", exact=True).click()
    with rerun(page):
        page.get_by_role("option").first.click()
    expect(main.get_by_role("button", name="← Back to the list", exact=True)).to_be_visible()
    check(page, "Customers: a profile", found)


HTML_LANGUAGE = "[document.documentElement.lang, document.documentElement.dir].join()"


def _sign_in_together(pages: dict[str, object], portal: str, found: list[dict]) -> None:
    """Sign every page's person in at once (the server runs their sign-ins side by side; one after the other
    they would take most of the test's time), checking the sign-in page of the first English and the Urdu one.
    Keys are usernames; the Urdu page is the one whose browser asks for Urdu."""
    for page in pages.values():
        page.goto(portal)  # type: ignore[attr-defined]
    for username, page in pages.items():
        wait_until_idle(page, QUIET_AFTER_LOAD)
        language = page.evaluate(HTML_LANGUAGE)  # type: ignore[attr-defined]
        if username == TOUR[0]:
            assert language == "en,ltr"
            check(page, "sign-in", found)
        elif username == URDU:
            assert language == "ur,rtl"
            check(page, "Urdu sign-in", found)
    before = {}
    for username, page in pages.items():
        main = page.get_by_test_id("stMain")  # type: ignore[attr-defined]
        main.get_by_role("textbox").first.fill(username)
        main.locator("input[type=password]").fill("demo")
        before[username] = page.evaluate("window.__crmMessages")  # type: ignore[attr-defined]
        main.get_by_test_id("stBaseButton-secondaryFormSubmit").click()
    for username, page in pages.items():
        page.wait_for_function("(n) => window.__crmMessages > n", arg=before[username])  # type: ignore[attr-defined]
        wait_until_idle(page, QUIET_AFTER_LOAD)


def test_no_serious_violation_on_any_page_for_any_role(browser, portal) -> None:  # type: ignore[no-untyped-def]
    found: list[dict] = []
    checked: set[str] = set()
    pages = {username: new_page(browser, locale="en-US") for username in TOUR}
    pages[URDU] = new_page(browser, locale="ur-PK")
    try:
        _sign_in_together(pages, portal, found)
        urdu = pages[URDU]  # the account keeps its saved English until the person picks Urdu again
        pick_language(urdu, "اردو")
        expect(urdu.get_by_test_id("stSidebar").get_by_role("button", name="لاگ آؤٹ", exact=True)).to_be_visible()
        assert urdu.evaluate(HTML_LANGUAGE) == "ur,rtl"
        check(urdu, "Urdu Home", found)
        for username in TOUR:
            page = pages[username]
            expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Logout", exact=True)).to_be_visible()
            check(page, f"{username}: Home", found)
            for title in [t for t in _menu(page) if t not in checked | {"Home"}]:
                _menu(page)
                open_page(page, title)
                check(page, f"{username}: {title}", found)
                checked.add(title)
                if title == "Customers":
                    _open_a_profile_and_the_new_customer_form(page, found)
    finally:
        for page in pages.values():
            page.context.close()
    unknown = [v for v in found if not is_known(v)]
    known = sorted({v["id"] for v in found if is_known(v)})
    print(f"\naxe-core {AXE_VERSION}, {len({v['where'] for v in found})} screens with known violations: "
          + "; ".join(f"{rule}: {KNOWN[rule][1]}" for rule in known))
    print("violations in the portal's markup:\n" + (_summary(unknown) or "none"))
    assert not unknown, _summary(unknown)
