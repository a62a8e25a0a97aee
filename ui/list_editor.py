"""Editing one managed list on an admin page: its values, add, rename, order, (de)activate, merge, delete."""
from __future__ import annotations

import streamlit as st

from crm.core.i18n import LANGUAGES, _, ngettext, number
from crm.settings import list_admin
from crm.settings.lists import add_value
from ui.context import call, flash
from ui.formatting import dataframe, table_of


def _label_inputs(key: str, current: dict[str, str] | None = None) -> dict[str, str]:
    """One text input per language (the English one required)."""
    cols = st.columns(len(LANGUAGES))
    return {lang: cols[i].text_input(name if lang != "en" else _("{language} (required)").format(language=name),
                                     value=(current or {}).get(lang, ""), key=f"{key}_{lang}")
            for i, (lang, name) in enumerate(LANGUAGES.items())}


def list_editor(list_code: str, key: str) -> None:
    """The values of ``list_code`` and the forms that change them (sections are level-three headings)."""
    found = call(list_admin.managed_lists, codes=(list_code,))
    if not found:
        return
    values = found[0].values
    if values:
        dataframe(table_of([{
            _("Value"): v.label, **{name: v.label_in(lang) for lang, name in LANGUAGES.items()},
            _("Stored as"): v.code, _("Offered"): v.active,
            _("Origin"): _("built in") if v.builtin else (_("in use") if v.id is None else _("added")),
        } for v in values]), hide_index=True, width="stretch")
    else:
        st.info(_("This list has no values yet."))

    st.subheader(_("Add a value"))
    with st.form(f"{key}_add", clear_on_submit=True):
        labels = _label_inputs(f"{key}_add")
        if st.form_submit_button(_("Add value"), type="primary"):
            made = call(add_value, list_code, labels)
            if made:
                flash(_("Added “{value}”.").format(value=made.label))
                st.rerun()
    if not values:
        return

    st.subheader(_("Change a value"))
    by_code = {v.code: v for v in values}
    code = st.selectbox(_("Value"), list(by_code), format_func=lambda c: by_code[c].label, key=f"{key}_chosen")
    chosen = by_code[code]
    with st.form(f"{key}_rename_{code}"):
        labels = _label_inputs(f"{key}_rename_{code}", {lang: chosen.label_in(lang) for lang in LANGUAGES})
        if st.form_submit_button(_("Save labels")):
            if call(list_admin.rename_value, list_code, code, labels):
                flash(_("Saved “{value}”.").format(value=labels.get("en") or code))
                st.rerun()
    order = list(by_code)
    at = order.index(code)
    b1, b2, b3, b4 = st.columns(4)
    if b1.button(_("Move up"), key=f"{key}_up", disabled=at == 0):
        order[at - 1], order[at] = order[at], order[at - 1]
        if call(list_admin.reorder_values, list_code, order) is not None:
            st.rerun()
    if b2.button(_("Move down"), key=f"{key}_down", disabled=at == len(order) - 1):
        order[at + 1], order[at] = order[at], order[at + 1]
        if call(list_admin.reorder_values, list_code, order) is not None:
            st.rerun()
    if chosen.active:
        if b3.button(_("Deactivate"), key=f"{key}_off",
                     help=_("Records keep the value; forms no longer offer it.")):
            if call(list_admin.set_active, list_code, code, False):
                flash(_("“{value}” is no longer offered.").format(value=chosen.label))
                st.rerun()
    elif b3.button(_("Offer again"), key=f"{key}_on"):
        if call(list_admin.set_active, list_code, code, True):
            flash(_("“{value}” is offered again.").format(value=chosen.label))
            st.rerun()
    if not chosen.builtin and b4.button(_("Delete"), key=f"{key}_delete"):
        if call(list_admin.delete_value, list_code, code):
            flash(_("Deleted “{value}”.").format(value=chosen.label))
            st.rerun()

    if len(values) > 1 and found[0].mergeable:
        st.subheader(_("Merge two values"))
        st.caption(_("Every record holding the first value gets the second one, in one step; the first value "
                     "leaves the list (a built-in one stays, no longer offered)."))
        m1, m2 = st.columns(2)
        source = m1.selectbox(_("Merge"), list(by_code), format_func=lambda c: by_code[c].label, key=f"{key}_src")
        target = m2.selectbox(_("Into"), [c for c in by_code if c != source],
                              format_func=lambda c: by_code[c].label, key=f"{key}_dst")
        if st.button(_("Merge values"), key=f"{key}_merge"):
            done = call(list_admin.merge_values, list_code, source, target)
            if done:
                flash(ngettext("Merged: {n} record moved.", "Merged: {n} records moved.", done.total).format(
                    n=number(done.total)))
                st.rerun()
