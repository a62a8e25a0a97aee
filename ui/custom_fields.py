"""The custom fields on a form (the right input for each type) and on a profile (their values, formatted)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from crm.core.i18n import _
from crm.settings.field_types import FieldDef, as_text, shown


def _label(f: FieldDef) -> str:
    return f"{f.label} *" if f.required else f.label


def custom_inputs(fields: list[FieldDef], values: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """One input per active custom field (inside the caller's form), filled with ``values``; returns what was
    entered by code, for the service to validate with the built-in fields."""
    values = values or {}
    raw: dict[str, Any] = {}
    for f in fields:
        current = values.get(f.code)
        widget_key = f"{key}_cf_{f.code}"
        help_text = f.help_text or None
        if f.type == "long_text":
            raw[f.code] = st.text_area(_label(f), value=current or "", help=help_text, key=widget_key)
        elif f.type == "date":
            raw[f.code] = st.date_input(_label(f), value=current, help=help_text, key=widget_key,
                                        min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
        elif f.type == "yes_no":
            options = [None, True, False]
            raw[f.code] = st.selectbox(_label(f), options, index=options.index(current), help=help_text,
                                       key=widget_key, format_func=_yes_no)
        elif f.type == "choice":
            codes = [c.code for c in f.offered]
            if current and current not in codes:  # a value deactivated since: still shown on the record
                codes.append(current)
            options = [None, *codes]
            raw[f.code] = st.selectbox(_label(f), options, index=options.index(current) if current in options else 0,
                                       help=help_text, key=widget_key,
                                       format_func=lambda code, f=f: _("(none)") if code is None else f.choice_label(code))
        elif f.type == "multi_choice":
            codes = [c.code for c in f.offered] + [c for c in (current or []) if c not in {o.code for o in f.offered}]
            raw[f.code] = st.multiselect(_label(f), codes, default=list(current or []), help=help_text, key=widget_key,
                                         format_func=f.choice_label)
        else:  # text, e-mail, URL, number and money: typed, read by the service (either decimal mark)
            shown_before = as_text(f, current) if current is not None else ""
            typed = st.text_input(_label(f), value=shown_before, help=help_text, key=widget_key,
                                  placeholder=_PLACEHOLDERS.get(f.type, lambda: "")())
            # an untouched number goes back as it was stored (so "1234.567" is never read as thousands)
            raw[f.code] = current if typed == shown_before and current is not None else typed
    return raw


def _yes_no(value: bool | None) -> str:
    return _("(not set)") if value is None else _("Yes") if value else _("No")


def show_custom_values(fields: list[FieldDef], values: dict[str, Any]) -> None:
    """The record's custom field values, label and value, in the user's language and formats."""
    facts = [f"**{f.label}** {shown(f, values.get(f.code)) or '—'}" for f in fields]
    if facts:
        st.markdown(" · ".join(facts))


_PLACEHOLDERS = {"number": lambda: _("e.g. 12.5"), "money": lambda: _("e.g. 1,234.56"),
                 "email": lambda: _("name@example.com"), "url": lambda: "https://"}
