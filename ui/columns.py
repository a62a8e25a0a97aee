"""Wide tables: show the columns that fit, and let the user pick more (a small "Columns" multiselect)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from crm.core.i18n import _


def column_picker(key: str, columns: Sequence[str], shown: Sequence[str],
                  format_func: Callable[[str], str] = str) -> list[str]:
    """The columns to show, in table order: ``shown`` (those that fit) until the user picks others.

    ``columns`` are every column the table can show (names or codes, labelled by ``format_func``); the
    choice is kept per ``key`` for the session. Picking none shows ``shown`` again.
    """
    chosen = st.multiselect(_("Columns"), list(columns), default=[c for c in shown if c in columns], key=key,
                            format_func=format_func, help=_("The table shows these columns; add or remove any."))
    return [c for c in columns if c in chosen] or [c for c in columns if c in shown]
