"""Tables as the user reads them: dates and times in the user's language and time zone, nothing for a
missing value (never 'None', 'nan' or 'NaT'), the same text on screen and in the table's own download."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from babel.dates import get_date_format

from crm.core.i18n import date, datetime, get_language, is_missing

EMPTY = ""  # what a table shows for a missing value (st.dataframe shows the word "None" unless told)


def cell(value: Any) -> Any:
    """One value as a table shows it: a moment on the user's clock in their language ('short' style), a day in
    theirs ('medium'), '' for a missing value; anything else unchanged."""
    if is_missing(value):
        return EMPTY
    if isinstance(value, dt.datetime):  # a pandas Timestamp too
        return datetime(value, "short")
    if isinstance(value, dt.date):
        return date(value)
    return value


def table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``rows`` (column -> value) as a table for ``st.dataframe``, every value passed through ``cell``."""
    return pd.DataFrame([{k: cell(v) for k, v in row.items()} for row in rows], columns=columns)


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A ready table with dates, times and missing values made readable (``cell``) in its text columns;
    columns of numbers stay numbers (their holes are left empty by ``dataframe``)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(object).map(cell)
    return out


def dataframe(data: Any, **kwargs: Any) -> Any:
    """``st.dataframe`` that leaves a missing value empty (it writes "None" by default)."""
    kwargs.setdefault("placeholder", EMPTY)
    return st.dataframe(data, **kwargs)


def date_column_format() -> str:
    """The user's language's numeric date ('17.11.2026', '11/17/2026') as the date format of an editable
    table column (moment.js tokens; the editor needs real dates, so it cannot be given text)."""
    pattern = get_date_format("short", locale=get_language()).pattern
    out: list[str] = []
    for part in _tokens(pattern):
        if part.startswith("'"):
            out.append("[" + part.strip("'") + "]")
        elif part[0] == "y":
            out.append("YYYY")
        elif part[0] == "d":
            out.append("D" * len(part))
        elif part[0] == "M":
            out.append("MM" if len(part) >= 2 else "M")
        else:
            out.append(part)
    return "".join(out)


def _tokens(pattern: str) -> list[str]:
    """A CLDR date pattern cut into runs of one letter, quoted literals and other characters."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) - 1 if end < 0 else end
            parts.append(pattern[i:end + 1])
            i = end + 1
            continue
        j = i
        while j < len(pattern) and pattern[j] == ch:
            j += 1
        parts.append(pattern[i:j])
        i = j
    return parts
