"""Custom fields in a list: a filter input per field (by its type), restoring them from a saved view, cells."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import streamlit as st

from crm.core.i18n import _
from crm.settings.field_filters import RANGE_TYPES, FieldFilter
from crm.settings.field_types import CHOICE_TYPES, FieldDef

ANY = "(any)"
YES_NO = (ANY, "yes", "no")  # option values (codes); labels by _yes_no_label


def _key(prefix: str, f: FieldDef, part: str = "") -> str:
    return f"{prefix}_cf_{f.code}{part}"


def _yes_no_label(value: str) -> str:
    return {ANY: _("(any)"), "yes": _("yes"), "no": _("no")}[value]


def filter_inputs(fields: list[FieldDef], prefix: str) -> tuple[FieldFilter, ...]:
    """One input per field (choices to pick, yes/no, a from-to range, text to look for) and a choice of fields
    that must be empty; the filters set (unset inputs add nothing)."""
    out: list[FieldFilter] = []
    columns = st.columns(3)
    for i, f in enumerate(fields):
        box = columns[i % 3]
        if f.type in CHOICE_TYPES:
            labels = {c.code: c.label for c in f.choices}
            picked = box.multiselect(f.label, list(labels), key=_key(prefix, f), format_func=labels.__getitem__,
                                     placeholder=_("(any)"))
            if picked:
                out.append(FieldFilter(f.code, any_of=tuple(picked)))
        elif f.type == "yes_no":
            value = box.selectbox(f.label, list(YES_NO), key=_key(prefix, f), format_func=_yes_no_label)
            if value != ANY:
                out.append(FieldFilter(f.code, equals=value == "yes"))
        elif f.type in RANGE_TYPES:
            low_box, high_box = box.columns(2)
            if f.type == "date":
                low = low_box.date_input(_("{field} from").format(field=f.label), value=None, key=_key(prefix, f, "_from"))
                high = high_box.date_input(_("to"), value=None, key=_key(prefix, f, "_to"))
            else:
                low = low_box.number_input(_("{field} from").format(field=f.label), value=None,
                                           key=_key(prefix, f, "_from"))
                high = high_box.number_input(_("to"), value=None, key=_key(prefix, f, "_to"))
            if low is not None or high is not None:
                out.append(FieldFilter(f.code, at_least=_plain(low), at_most=_plain(high)))
        else:
            words = box.text_input(_("{field} contains").format(field=f.label), key=_key(prefix, f))
            if words.strip():
                out.append(FieldFilter(f.code, contains=words.strip()))
    labels = {f.code: f.label for f in fields}
    empty = st.multiselect(_("Custom fields left empty"), list(labels), key=f"{prefix}_cf_empty",
                           format_func=labels.__getitem__, placeholder=_("(none)"))
    out.extend(FieldFilter(code, empty=True) for code in empty)
    return tuple(out)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, dt.date):
        return value
    return str(Decimal(str(value)))


def restore_inputs(fields: list[FieldDef], prefix: str, saved: list[dict[str, Any]]) -> None:
    """Set the inputs of ``filter_inputs`` to a saved view's filters (every other input cleared)."""
    for f in fields:
        for part in ("", "_from", "_to"):
            st.session_state.pop(_key(prefix, f, part), None)
    by_code = {f.code: f for f in fields}
    empty: list[str] = []
    for params in saved:
        flt = FieldFilter.from_params(params)
        f = by_code.get(flt.code)
        if f is None:  # a field deactivated since the view was saved
            continue
        if flt.empty:
            empty.append(f.code)
        elif f.type in CHOICE_TYPES:
            st.session_state[_key(prefix, f)] = [c for c in flt.any_of if c in {x.code for x in f.choices}]
        elif f.type == "yes_no":
            st.session_state[_key(prefix, f)] = "yes" if flt.equals in (True, "True", "true", "yes") else "no"
        elif f.type in RANGE_TYPES:
            for part, value in (("_from", flt.at_least), ("_to", flt.at_most)):
                if value is not None:
                    st.session_state[_key(prefix, f, part)] = (
                        dt.date.fromisoformat(str(value)) if f.type == "date" else float(value))
        elif flt.contains:
            st.session_state[_key(prefix, f)] = flt.contains
    st.session_state[f"{prefix}_cf_empty"] = empty


def cell_value(f: FieldDef, value: Any) -> Any:
    """A custom value as a table cell: choice labels, numbers as numbers, dates as dates, yes/no as a word."""
    if value is None or value == []:
        return None
    if f.type == "choice":
        return f.choice_label(value)
    if f.type == "multi_choice":
        return ", ".join(f.choice_label(c) for c in value)
    if f.type == "yes_no":
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return float(value)
    return value


def value_input(f: FieldDef, key: str, box: Any = st) -> Any:
    """One input for a value of ``f`` (empty: no value), e.g. to set it on several records at once."""
    if f.type in CHOICE_TYPES:
        labels = {c.code: c.label for c in f.offered}
        if f.type == "multi_choice":
            return box.multiselect(_("New value"), list(labels), key=key, format_func=labels.__getitem__)
        return box.selectbox(_("New value"), list(labels), key=key, index=None, format_func=labels.__getitem__,
                             placeholder=_("(empty)"))
    if f.type == "yes_no":
        return box.selectbox(_("New value"), [True, False], key=key, format_func=lambda v: _("yes") if v else _("no"))
    if f.type == "date":
        return box.date_input(_("New value"), value=None, key=key)
    if f.type in RANGE_TYPES:
        value = box.number_input(_("New value"), value=None, key=key)
        return None if value is None else _plain(value)
    if f.type == "long_text":
        return box.text_area(_("New value"), key=key)
    return box.text_input(_("New value"), key=key)
