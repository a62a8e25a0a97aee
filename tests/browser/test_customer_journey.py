"""Sales creates a customer, support logs an interaction for it, sales sees it on the profile."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import open_page, sign_in


def test_what_support_hears_reaches_sales(browser, portal) -> None:
    sales_ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    support_ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        sales = sales_ctx.new_page()
        sales.set_default_timeout(20000)
        sign_in(sales, portal, "sales")
        open_page(sales, "Customers")
        sales.get_by_text("New customer").click()
        sales.get_by_label("Name", exact=True).wait_for()
        sales.get_by_label("Name", exact=True).fill("Ayu Kartika")
        sales.get_by_label("Company", exact=True).fill("PT Cahaya Baru")
        sales.get_by_label("E-mail", exact=True).fill("ayu@cahayabaru.co.id")
        sales.get_by_label("Country (ISO code, e.g. ID, BG, PK)", exact=True).fill("ID")
        sales.get_by_role("button", name="Save customer").click()
        expect(sales.get_by_role("heading", name="Ayu Kartika")).to_be_visible()

        support = support_ctx.new_page()
        support.set_default_timeout(20000)
        sign_in(support, portal, "support")
        open_page(support, "Interactions")
        support.get_by_label("Find the customer", exact=True).fill("ayu kartika")
        support.get_by_label("Find the customer", exact=True).press("Enter")
        expect(support.get_by_role("combobox", name="Customer")).to_have_value(re.compile("Ayu Kartika"))
        support.get_by_label("Subject", exact=True).fill("Gateway keeps rebooting")
        support.get_by_label("Outcome", exact=True).fill("Firmware update sent")
        support.get_by_role("button", name="Log interaction").click()
        expect(support.get_by_text("every department sees it now")).to_be_visible()

        sales.get_by_role("button", name="← Back to the list").click()
        sales.get_by_role("textbox", name="Search", exact=True).fill("cahaya")
        sales.get_by_role("textbox", name="Search", exact=True).press("Enter")
        expect(sales.get_by_text("1 customer ·")).to_be_visible()
        sales.reload()
        sales.get_by_role("button", name="Logout").wait_for()
        open_page(sales, "Customers")
        sales.get_by_role("textbox", name="Search", exact=True).fill("cahaya")
        sales.get_by_role("textbox", name="Search", exact=True).press("Enter")
        sales.get_by_label("Open customer", exact=True).click()
        sales.get_by_role("option", name="Ayu Kartika").click()
        expect(sales.get_by_role("heading", name="Ayu Kartika")).to_be_visible()
        timeline = sales.get_by_test_id("stDataFrame").first
        expect(timeline).to_be_visible()
        expect(sales.get_by_text("1 interaction from every department")).to_be_visible()
        sales.screenshot(path="data/profile-after-support.png", full_page=True)
    finally:
        sales_ctx.close()
        support_ctx.close()
