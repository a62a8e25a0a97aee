"""Tables and Latin data in a right-to-left language: a table's first column on the right, its cells aligned
right, a phone or an e-mail kept left to right inside an Urdu sentence; nothing changes in the other languages."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st

from crm.core.i18n import use_language
from ui.formatting import own_direction, right_to_left

FRAME = pd.DataFrame({"Name": ["Aasim Lutf"], "E-mail": ["aasim@example.pk"], "Revenue": [12.5]})


def test_in_urdu_the_first_column_comes_last_so_it_stands_on_the_right() -> None:
    with use_language("ur"):
        options = right_to_left(FRAME, hide_index=True)
    assert options["column_order"] == ["Revenue", "E-mail", "Name"]
    assert options["hide_index"] is True
    assert {c: options["column_config"][c]["alignment"] for c in FRAME.columns} == dict.fromkeys(FRAME.columns, "right")


def test_a_chosen_order_and_the_pages_own_column_settings_are_kept() -> None:
    config = {"Revenue": st.column_config.NumberColumn("Revenue ($)", format="%.2f"), "E-mail": "Address",
              "Name": None}
    with use_language("ur"):
        options = right_to_left(FRAME.style, column_order=["Name", "Revenue"], column_config=config)
    assert options["column_order"] == ["Revenue", "Name"]
    assert options["column_config"]["Revenue"]["label"] == "Revenue ($)"
    assert options["column_config"]["Revenue"]["type_config"]["format"] == "%.2f"
    assert options["column_config"]["Revenue"]["alignment"] == "right"
    assert options["column_config"]["Name"] is None  # hidden stays hidden
    assert options["column_config"]["E-mail"] == "Address"  # not shown: left alone
    assert config["Revenue"]["alignment"] is None  # the page's own settings are not changed


@pytest.mark.parametrize("language", ["en", "id", "bg"])
def test_left_to_right_languages_get_the_table_as_the_page_asked(language: str) -> None:
    with use_language(language):
        assert right_to_left(FRAME, hide_index=True) == {"hide_index": True}


def test_a_phone_keeps_its_plus_in_front_inside_an_urdu_sentence() -> None:
    with use_language("ur"):
        assert own_direction("+923005757977") == "\u2068+923005757977\u2069"
        assert own_direction("") == ""
    with use_language("en"):
        assert own_direction("+923005757977") == "+923005757977"
