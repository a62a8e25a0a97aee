"""Charts that everybody can read: a title, and the key numbers in words beside the picture.

A screen reader cannot read a chart's bars; a person who cannot tell its colours apart reads its numbers
badly. Every Altair chart of the portal is drawn with its title, a caption under it saying what it shows
(the highest and the lowest value, and the total where a total means something), and that same text as the
chart's accessible name.

Charts speak the user's language: Vega formats dates and numbers itself (a time axis names its months, a tooltip
groups digits), so each chart carries a Vega locale built from Babel's data for the language (``vega_locale``).
In a right-to-left language the chart is mirrored (``mirrored``): time and categories run from the right, the
value axis stands on the right and the legend on the left."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format

from crm.core.i18n import _, get_language, is_rtl, number
from ui.formatting import _tokens


def key_numbers(frame: pd.DataFrame, label: str, value: str, *, average: bool = False, total: bool = True,
                digits: int = 0) -> str:
    """The highest and lowest ``value`` by ``label`` (summed over the rows of each label, or their average when
    ``average``), and the sum of all when ``total`` (never for averages); '' for an empty frame. ``label``
    holds what a person reads (a month's name, a group)."""
    if frame.empty:
        return ""
    groups = frame.groupby(label, sort=False)[value]
    values = (groups.mean() if average else groups.sum()).dropna()
    if values.empty:
        return ""
    text = _("Highest: {top} ({top_value}). Lowest: {bottom} ({bottom_value}).").format(
        top=values.idxmax(), top_value=number(float(values.max()), digits),
        bottom=values.idxmin(), bottom_value=number(float(values.min()), digits))
    if total and not average:
        text += " " + _("Total: {total}.").format(total=number(float(values.sum()), digits))
    return text


def chart(figure: alt.Chart, title: str, summary: str) -> None:
    """Draw ``figure`` with ``title`` on it and ``summary`` (its key numbers in words) under it; both together
    are the chart's name for screen readers. Dates and numbers in the chart are in the user's language, and the
    chart is mirrored for a right-to-left language."""
    st.altair_chart(localized(figure.properties(title=title)), width="stretch", alt=f"{title}. {summary}".strip())
    if summary:
        st.caption(summary)


RTL_PADDING = {"left": 5, "top": 5, "right": 16, "bottom": 5}
RIGHT_TO_LEFT_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2067", "\u2069"


def localized(figure: alt.Chart, language: str | None = None) -> alt.Chart:
    """``figure`` formatting its dates and numbers in ``language`` (the user's by default), mirrored when the
    language is written right to left."""
    language = language or get_language()
    figure = figure.configure(locale=vega_locale(language), timeFormat=_d3_pattern(_pattern("medium", language)))
    if not is_rtl(language):
        return figure
    figure = mirrored(figure)
    if isinstance(figure["title"], str):  # Vega writes left to right: a title starting 'NPS ...' would read wrong
        figure["title"] = f"{RIGHT_TO_LEFT_ISOLATE}{figure['title']}{POP_DIRECTIONAL_ISOLATE}"
    # Nastaliq letters reach past the box Vega measures them in: room at the right edge, where the title and the
    # axis labels now end
    return figure.properties(padding=RTL_PADDING).configure_legend(orient="left").configure_title(anchor="end")


def mirrored(figure: alt.Chart) -> alt.Chart:
    """``figure`` read from the right: its horizontal scale reversed and its vertical axis on the right."""
    if not isinstance(figure, alt.Chart):  # layered or combined charts: left as drawn
        return figure
    figure = figure.copy(deep=True)
    encoding = figure.encoding
    if encoding["x"] is not alt.Undefined:
        encoding["x"] = _with(encoding["x"], alt.X, "scale", alt.Scale, reverse=True)
    if encoding["y"] is not alt.Undefined:
        encoding["y"] = _with(encoding["y"], alt.Y, "axis", alt.Axis, orient="right")
    return figure


def _with(channel: Any, kind: type, part: str, part_kind: type, **settings: Any) -> Any:
    """A copy of encoding ``channel`` (an ``alt.X``/``alt.Y`` or its shorthand text) with ``settings`` added to
    its ``part`` (its scale, its axis), keeping what was set there."""
    channel = kind(channel) if isinstance(channel, str) else channel.copy(deep=True)
    current = channel[part]
    if current is None:  # no axis wanted: none added
        return channel
    merged = part_kind() if current is alt.Undefined else current.copy(deep=True)
    for name, value in settings.items():
        merged[name] = value
    channel[part] = merged
    return channel


@lru_cache(maxsize=None)
def vega_locale(language: str) -> dict[str, Any]:
    """Vega's number and time locale (d3-format, d3-time-format) for ``language``, from Babel's data: month and
    day names, the date and time patterns, the decimal and grouping signs."""
    locale = Locale.parse(language)
    symbols = locale.number_symbols["latn"]
    wide, short = locale.months["format"]["wide"], locale.months["format"]["abbreviated"]
    days, short_days = locale.days["format"]["wide"], locale.days["format"]["abbreviated"]
    sunday_first = (6, 0, 1, 2, 3, 4, 5)  # Babel counts from Monday (0), d3 from Sunday
    periods = locale.day_periods["format"]["abbreviated"]
    date, time = _d3_pattern(_pattern("short", language)), _d3_pattern(get_time_format("medium", locale).pattern)
    return {
        "number": {"decimal": symbols["decimal"], "thousands": symbols["group"], "grouping": [3],
                   "currency": ["", ""], "minus": symbols["minusSign"], "percent": symbols["percentSign"]},
        "time": {
            "dateTime": str(get_datetime_format("medium", locale)).replace("{1}", "%x").replace("{0}", "%X"),
            "date": date, "time": time,
            "periods": [periods.get("am", "AM"), periods.get("pm", "PM")],
            "days": [days[d] for d in sunday_first], "shortDays": [short_days[d] for d in sunday_first],
            "months": [wide[m] for m in range(1, 13)], "shortMonths": [short[m] for m in range(1, 13)],
        },
    }


def _pattern(style: str, language: str) -> str:
    return get_date_format(style, locale=language).pattern


# CLDR date field (letter, length) -> d3-time-format directive; a length not listed takes the longest below it
_D3 = {
    "y": {1: "%Y", 2: "%y", 3: "%Y"}, "M": {1: "%-m", 2: "%m", 3: "%b", 4: "%B"}, "L": {1: "%-m", 2: "%m", 3: "%b", 4: "%B"},
    "d": {1: "%-d", 2: "%d"}, "E": {1: "%a", 4: "%A"}, "h": {1: "%-I", 2: "%I"}, "H": {1: "%-H", 2: "%H"},
    "m": {1: "%M"}, "s": {1: "%S"}, "a": {1: "%p"},
}


def _d3_pattern(pattern: str) -> str:
    """A CLDR date pattern ('d MMM، y') as a d3-time-format specifier ('%-d %b، %Y')."""
    out: list[str] = []
    for part in _tokens(pattern):
        if part.startswith("'"):
            out.append((part[1:-1] or "'").replace("%", "%%"))
        elif part[0] in _D3:
            lengths = _D3[part[0]]
            out.append(lengths[max(n for n in lengths if n <= len(part))])
        elif part[0].isalpha():
            continue  # a field d3 cannot write (era, time zone...): left out
        else:
            out.append(part.replace("%", "%%"))
    return "".join(out)
