"""Sales creates a customer, support logs an interaction for it, sales sees it on the profile."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import choose, create_customer, load, logout_button, new_page, open_page, rerun, sign_in, submit_text


def test_what_support_hears_reaches_sales(browser, portal) -> None:  # type: ignore[no-untyped-def]
    sales = new_page(browser, viewport={"width": 1400, "height": 1100})
    support = new_page(browser, viewport={"width": 1400, "height": 1100})
    try:
        create_customer(sales, portal, "sales", {
            "Name": "Ayu Kartika", "Company": "PT Cahaya Baru", "E-mail": "ayu@cahayabaru.co.id",
            "Country (ISO code, e.g. ID, BG, PK)": "ID"})
        main = sales.get_by_test_id("stMain")

        sign_in(support, portal, "support")
        open_page(support, "Interactions")
        support_main = support.get_by_test_id("stMain")
        submit_text(support, "Find the customer", "ayu kartika")
        expect(support_main.get_by_role("combobox", name="Customer", exact=True)).to_have_value(
            re.compile("Ayu Kartika"))
        support_main.get_by_label("Subject", exact=True).fill("Gateway keeps rebooting")
        support_main.get_by_label("Outcome", exact=True).fill("Firmware update sent")
        with rerun(support):
            support_main.get_by_role("button", name="Log interaction", exact=True).click()
        expect(support_main.get_by_text("every department sees it now")).to_be_visible()

        with rerun(sales):
            main.get_by_role("button", name="← Back to the list", exact=True).click()
        submit_text(sales, "Search", "cahaya")
        expect(main.get_by_text("1 customer ·")).to_be_visible()

        load(sales)  # a reload signs back in from the cookie and keeps the screen
        expect(logout_button(sales)).to_be_visible()
        open_page(sales, "Customers")
        submit_text(sales, "Search", "cahaya")
        expect(main.get_by_text("1 customer ·")).to_be_visible()
        choose(sales, "Open customer", re.compile("^Ayu Kartika"))
        expect(main.get_by_role("heading", name="Ayu Kartika", exact=True)).to_be_visible()
        expect(main.get_by_text("1 interaction from every department", exact=False)).to_be_visible()
        timeline = main.get_by_role("tabpanel", name="Timeline").get_by_test_id("stDataFrame")
        expect(timeline).to_be_visible()
        sales.screenshot(path="data/profile-after-support.png", full_page=True)
    finally:
        sales.context.close()
        support.context.close()
