"""A chart's key numbers in words: what a screen reader says for a chart, and the caption under it."""
from __future__ import annotations

import pandas as pd

from crm.core.i18n import use_language
from ui.charts import key_numbers

SALES = pd.DataFrame({"Month label": ["Jan 2026", "Jan 2026", "Feb 2026", "Mar 2026"],
                      "Revenue": [1000.0, 500.0, 2500.0, 250.0]})


def test_the_highest_and_lowest_label_and_the_total_are_said_in_words() -> None:
    with use_language("en"):
        assert key_numbers(SALES, "Month label", "Revenue") == (
            "Highest: Feb 2026 (2,500). Lowest: Mar 2026 (250). Total: 4,250.")


def test_averages_have_no_total_and_keep_their_decimals() -> None:
    nps = pd.DataFrame({"Segment": ["SMB", "Enterprise"], "NPS": [12.5, -3.25]})
    with use_language("en"):
        assert key_numbers(nps, "Segment", "NPS", average=True, digits=1) == (
            "Highest: SMB (12.5). Lowest: Enterprise (-3.2).")


def test_in_the_users_language() -> None:
    with use_language("bg"):
        assert key_numbers(SALES, "Month label", "Revenue").startswith("Най-високо: Feb 2026 (2")


def test_an_empty_chart_says_nothing() -> None:
    assert key_numbers(SALES.iloc[0:0], "Month label", "Revenue") == ""
