"""Tables as the user reads them: dates and times in the user's language and time zone, nothing for a
missing value (never 'None', 'nan' or 'NaT'), the same text on screen and in the table's own download."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from babel.dates import get_date_format

from crm.core.i18n import _, date, datetime, get_language, is_missing, is_rtl

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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def table_of(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``rows`` (column -> value) as a table for ``dataframe``: every value passed through ``cell``, except in
    a column of numbers, which stays numbers (sortable; its holes shown empty by ``dataframe``)."""
    frame = pd.DataFrame(list(rows), columns=columns)
    for column in frame.columns:
        values = [v for v in frame[column].tolist() if not is_missing(v)]
        if values and all(_is_number(v) for v in values):
            continue
        frame[column] = frame[column].astype(object).map(cell)
    return frame


ISO_MOMENT = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$")


def text(value: Any) -> str:
    """Any stored value as words: ISO dates and times as ``cell`` shows them, yes/no, '' for nothing."""
    if isinstance(value, str) and ISO_MOMENT.match(value.strip()):
        try:
            value = dt.datetime.fromisoformat(value.strip()) if len(value.strip()) > 10 else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    shown_value = cell(value)
    return shown_value if isinstance(shown_value, str) else str(shown_value)


def fields(values: Mapping[str, Any] | None) -> str:
    """A record's fields (an audit row's before or after) as 'field: value; ...' ('' for none)."""
    return "; ".join(f"{key}: {text(value)}" for key, value in (values or {}).items())


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A ready table with dates, times and missing values made readable (``cell``) in its text columns;
    columns of numbers stay numbers (their holes are left empty by ``dataframe``)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(object).map(cell)
    return out


FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def own_direction(value: Any) -> str:
    """``value`` as text that keeps its own direction inside a sentence of the other direction: a phone
    ('+92 300 1234567') or an e-mail in an Urdu sentence, an Urdu name in an English one. In a right-to-left
    language it is wrapped in Unicode's (invisible) isolate marks; otherwise left as it is."""
    shown = text(value)
    return f"{FIRST_STRONG_ISOLATE}{shown}{POP_DIRECTIONAL_ISOLATE}" if shown and is_rtl() else shown


def dataframe(data: Any, *, container: Any = None, **kwargs: Any) -> Any:
    """``st.dataframe`` (in ``container``, e.g. a column, when given) that leaves a missing value empty
    (Streamlit writes "None" by default), laid out right to left in a right-to-left language."""
    kwargs.setdefault("placeholder", EMPTY)
    return (container or st).dataframe(data, **right_to_left(data, **kwargs))


def data_editor(data: Any, **kwargs: Any) -> Any:
    """``st.data_editor`` laid out right to left in a right-to-left language (the edits it reports are keyed
    by column name and row, whatever the order shown)."""
    return st.data_editor(data, **right_to_left(data, **kwargs))


def right_to_left(data: Any, **kwargs: Any) -> dict[str, Any]:
    """The options of a table (``st.dataframe``/``st.data_editor`` of ``data``) for the language in use: in a
    right-to-left language the columns come in reverse order (the first one on the right, where the eye starts)
    and every cell is aligned right. The grid itself draws left to right whatever the page's direction (a
    canvas): the order is the only way to mirror it. Unchanged for a left-to-right language."""
    if not is_rtl():
        return kwargs
    frame = data.data if isinstance(data, Styler) else data  # a Styler shows its frame
    columns = [str(c) for c in getattr(frame, "columns", [])]
    shown = list(kwargs.get("column_order") or columns)
    if not shown:  # data whose columns are unknown here (a list, a dict): left to Streamlit
        return kwargs
    kwargs["column_order"] = list(reversed(shown))
    config = dict(kwargs.get("column_config") or {})
    for column in shown:
        setting = config.get(column, {})
        if setting is None:  # a hidden column
            continue
        setting = {"label": setting} if isinstance(setting, str) else dict(setting)
        if setting.get("alignment") is None:
            setting["alignment"] = "right"
        config[column] = setting
    kwargs["column_config"] = config
    return kwargs


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
