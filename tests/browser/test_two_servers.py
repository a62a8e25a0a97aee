"""Two portal servers over one PostgreSQL database: a change made through one is seen through the other."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.core.database import session_scope
from tools.seed import seed_demo
from tests.browser.conftest import open_page, sign_in, start_portal, stop_portal
from tests.conftest import _truncate_all


@pytest.fixture
def two_portals(request):  # type: ignore[no-untyped-def]
    url = request.getfixturevalue("pg_database")  # skips without CRM_TEST_DATABASE_URL
    _truncate_all(url)
    with session_scope(url) as s:
        seed_demo(session=s)
    first, url_a = start_portal(url)
    try:
        second, url_b = start_portal(url)
        try:
            yield url_a, url_b
        finally:
            stop_portal(second)
    finally:
        stop_portal(first)


def test_customer_created_on_one_server_is_found_and_edited_on_the_other(browser, two_portals) -> None:
    url_a, url_b = two_portals
    assert url_a != url_b
    ctx_a = browser.new_context(viewport={"width": 1400, "height": 1100})
    ctx_b = browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        a = ctx_a.new_page()
        sign_in(a, url_a, "sales")
        open_page(a, "Customers")
        a.get_by_text("New customer").click()
        a.get_by_label("Name", exact=True).fill("Nikolay Georgiev")
        a.get_by_label("Company", exact=True).fill("Balkan Solar АД")
        a.get_by_label("Country (ISO code, e.g. ID, BG, PK)", exact=True).fill("BG")
        a.get_by_role("button", name="Save customer").click()
        expect(a.get_by_role("heading", name="Nikolay Georgiev")).to_be_visible()

        b = ctx_b.new_page()
        sign_in(b, url_b, "service")
        open_page(b, "Customers")
        search = b.get_by_role("textbox", name="Search", exact=True)
        search.fill("balkan solar")
        search.press("Enter")
        expect(b.get_by_text("1 customer ·")).to_be_visible()
        b.get_by_label("Open customer", exact=True).click()
        b.get_by_role("option", name=re.compile("Nikolay Georgiev")).click()
        expect(b.get_by_role("heading", name="Nikolay Georgiev")).to_be_visible()
        b.get_by_text("Edit customer").click()
        b.get_by_label("Segment", exact=True).fill("Energy")
        b.get_by_role("button", name="Save customer").click()
        expect(b.get_by_text("Saved.")).to_be_visible()

        a.get_by_role("button", name="← Back to the list").click()
        search_a = a.get_by_role("textbox", name="Search", exact=True)
        search_a.fill("nikolay")
        search_a.press("Enter")
        expect(a.get_by_test_id("stDataFrame").first).to_be_visible()
        a.get_by_label("Open customer", exact=True).click()
        a.get_by_role("option", name=re.compile("Nikolay Georgiev")).click()
        expect(a.get_by_text(re.compile("Balkan Solar АД · Prospect · Energy"))).to_be_visible()
    finally:
        ctx_a.close()
        ctx_b.close()
