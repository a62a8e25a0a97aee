"""Charts that everybody can read: a title, and the key numbers in words beside the picture.

A screen reader cannot read a chart's bars; a person who cannot tell its colours apart reads its numbers
badly. Every Altair chart of the portal is drawn with its title, a caption under it saying what it shows
(the highest and the lowest value, and the total where a total means something), and that same text as the
chart's accessible name."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from crm.core.i18n import _, number


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
    are the chart's name for screen readers."""
    st.altair_chart(figure.properties(title=title), width="stretch", alt=f"{title}. {summary}".strip())
    if summary:
        st.caption(summary)
