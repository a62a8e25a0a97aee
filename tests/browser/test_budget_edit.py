"""A budget officer edits a line in the data editor, saves, and sees the new total."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_officer_edits_line_and_saves(page, portal) -> None:
    sign_in(page, portal, "budget")
    page.goto(f"{portal}/budget")
    page.get_by_role("heading", name="Budget lines").wait_for()
    # demo plan: 158,000 planned (hand-summed from tools.seed._demo_budget)
    expect(page.get_by_test_id("stMetric").nth(1)).to_contain_text("158,000.00")
    grid = page.locator("[class*='st-key-budget_lines_'] [data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 90, box["y"] + 53)  # first row, Category
    for _ in range(3):  # Description, Goal, Plan Q1: moved to with the keyboard, whatever the column widths
        page.wait_for_timeout(150)
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")  # opens the cell editor holding 6000
    editor = page.locator("#portal input")
    expect(editor).to_be_visible()
    editor.fill("9999")
    editor.press("Enter")
    expect(editor).to_have_count(0)
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("1 line changed.")).to_be_visible(timeout=15000)
    # 158,000 - 6,000 + 9,999
    expect(page.get_by_test_id("stMetric").nth(1)).to_contain_text("161,999.00")
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "data" / "budget-officer.png"), full_page=True)
