"""Two portal servers over one PostgreSQL database: a change made through one is seen through the other."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.core.database import session_scope
from tools.seed import seed_demo
from tests.browser.conftest import (
    choose, create_customer, new_page, open_page, rerun, sign_in, start_portal, stop_portal, submit_text,
)
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
    a = new_page(browser, viewport={"width": 1400, "height": 1100})
    b = new_page(browser, viewport={"width": 1400, "height": 1100})
    try:
        create_customer(a, url_a, "sales", {
            "Name": "Nikolay Georgiev", "Company": "Balkan Solar АД", "Country (ISO code, e.g. ID, BG, PK)": "BG"})
        main_a = a.get_by_test_id("stMain")

        sign_in(b, url_b, "service")
        open_page(b, "Customers")
        main_b = b.get_by_test_id("stMain")
        submit_text(b, "Search", "balkan solar")
        expect(main_b.get_by_text("1 customer ·")).to_be_visible()
        choose(b, "Open customer", re.compile("^Nikolay Georgiev"))
        expect(main_b.get_by_role("heading", name="Nikolay Georgiev", exact=True)).to_be_visible()
        main_b.get_by_text("Edit customer", exact=True).click()
        segment = main_b.get_by_role("combobox", name="Segment", exact=True)  # the managed list, or a new value
        segment.click()
        segment.fill("Energy")
        segment.press("Enter")
        with rerun(b):
            main_b.get_by_role("button", name="Save customer", exact=True).click()
        expect(main_b.get_by_text("Saved.", exact=True)).to_be_visible()

        with rerun(a):
            main_a.get_by_role("button", name="← Back to the list", exact=True).click()
        submit_text(a, "Search", "nikolay")
        expect(main_a.get_by_text("1 customer ·")).to_be_visible()
        choose(a, "Open customer", re.compile("^Nikolay Georgiev"))
        expect(main_a.get_by_text("Balkan Solar АД · Prospect · Energy", exact=False)).to_be_visible()
    finally:
        a.context.close()
        b.context.close()
