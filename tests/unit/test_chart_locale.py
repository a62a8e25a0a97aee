"""Charts speak the user's language: Vega names the months of a time axis and writes dates and numbers from a
locale built from Babel's data, and a right-to-left language gets the chart mirrored."""
from __future__ import annotations

import datetime as dt
import re

import altair as alt
import pandas as pd
import pytest
from babel.dates import format_date

from crm.core.i18n import use_language
from ui.charts import _d3_pattern, _pattern, localized, vega_locale

MONTHS = {  # January, June, December as a time axis names them
    "en": ("January", "June", "December"),
    "id": ("Januari", "Juni", "Desember"),
    "bg": ("януари", "юни", "декември"),
    "ur": ("جنوری", "جون", "دسمبر"),
}
ENGLISH = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"}


def d3_format(pattern: str, day: dt.date, language: str) -> str:
    """What Vega writes for ``day`` with d3-time-format ``pattern`` in ``language``'s locale (the directives the
    portal's patterns use)."""
    time = vega_locale(language)["time"]
    values = {
        "%B": time["months"][day.month - 1], "%b": time["shortMonths"][day.month - 1],
        "%A": time["days"][(day.weekday() + 1) % 7], "%a": time["shortDays"][(day.weekday() + 1) % 7],
        "%Y": str(day.year), "%y": f"{day.year % 100:02d}", "%m": f"{day.month:02d}", "%-m": str(day.month),
        "%d": f"{day.day:02d}", "%-d": str(day.day), "%%": "%",
    }
    return re.sub(r"%-?[a-zA-Z%]", lambda m: values[m.group(0)], pattern)


@pytest.mark.parametrize("language", list(MONTHS))
def test_a_time_axis_names_the_months_in_the_users_language(language: str) -> None:
    months = vega_locale(language)["time"]["months"]
    assert len(months) == 12
    assert (months[0], months[5], months[11]) == MONTHS[language]
    if language != "en":
        # each language names most months its own way (Indonesian writes April, September, November as English)
        assert len(ENGLISH & set(months)) <= 3


@pytest.mark.parametrize("language", list(MONTHS))
def test_a_chart_writes_a_date_as_the_portal_writes_it_everywhere(language: str) -> None:
    day = dt.date(2026, 12, 3)
    for style in ("medium", "short"):
        assert d3_format(_d3_pattern(_pattern(style, language)), day, language) == format_date(
            day, style, locale=language)


def test_numbers_in_charts_use_the_languages_signs() -> None:
    assert vega_locale("en")["number"]["decimal"] == "." and vega_locale("en")["number"]["thousands"] == ","
    assert vega_locale("id")["number"]["decimal"] == "," and vega_locale("id")["number"]["thousands"] == "."
    assert vega_locale("bg")["number"]["decimal"] == ","


def timeline() -> alt.Chart:
    frame = pd.DataFrame({"item": ["a", "b"], "start": pd.to_datetime(["2026-01-05", "2026-03-01"]),
                          "due": pd.to_datetime(["2026-02-01", "2026-06-30"])})
    return alt.Chart(frame).mark_bar().encode(x=alt.X("start:T", title=None), x2="due:T",
                                              y=alt.Y("item:N", sort=None, title=None), color="item:N")


@pytest.mark.parametrize("language", list(MONTHS))
def test_every_chart_carries_the_users_locale(language: str) -> None:
    with use_language(language):
        spec = localized(timeline().properties(title="Timeline")).to_dict()
    assert spec["config"]["locale"] == vega_locale(language)
    # the title reads right to left in Urdu even where it starts with a Latin word ('NPS ...')
    assert spec["title"] == ("\u2067Timeline\u2069" if language == "ur" else "Timeline")


def test_in_urdu_the_chart_reads_from_the_right() -> None:
    spec = localized(timeline(), "ur").to_dict()
    assert spec["encoding"]["x"]["scale"] == {"reverse": True}  # time runs from the right
    assert spec["encoding"]["x"]["title"] is None  # what the page set stays
    assert spec["encoding"]["y"]["axis"] == {"orient": "right"}
    assert spec["config"]["legend"] == {"orient": "left"} and spec["config"]["title"] == {"anchor": "end"}


def test_a_shorthand_channel_and_a_set_scale_are_mirrored_too() -> None:
    frame = pd.DataFrame({"Month": ["2026-01"], "Revenue": [1.0]})
    figure = alt.Chart(frame).mark_bar().encode(x=alt.X("Month:O", scale=alt.Scale(paddingInner=0.2)), y="Revenue:Q")
    spec = localized(figure, "ur").to_dict()
    assert spec["encoding"]["x"]["scale"] == {"paddingInner": 0.2, "reverse": True}
    assert spec["encoding"]["y"]["axis"] == {"orient": "right"}


@pytest.mark.parametrize("language", ["en", "id", "bg"])
def test_left_to_right_languages_keep_the_chart_as_drawn(language: str) -> None:
    spec = localized(timeline(), language).to_dict()
    assert "scale" not in spec["encoding"]["x"] and "axis" not in spec["encoding"]["y"]
    assert "legend" not in spec["config"]
