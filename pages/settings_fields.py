"""Custom fields: the fields administrators add to customers and interactions, their labels, order and state."""
import streamlit as st

from crm.core.i18n import LANGUAGES, _, label, language_name
from crm.settings.field_types import CHOICE_TYPES, ENTITIES, TYPES, choices_from_lines
from crm.settings.fields import (
    add_field,
    deactivate_field,
    fields_for,
    reactivate_field,
    reorder_fields,
    update_field,
)
from crm.settings.lists import add_value
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of

NEW = "cf_new"  # prefix of the add form's inputs, cleared after a field is added


def labels_inputs(key: str, current: dict | None = None, *, what: str = "label") -> dict:
    """One input per language (English first, required for labels)."""
    current = current or {}
    out = {}
    columns = st.columns(len(LANGUAGES))
    for column, lang in zip(columns, LANGUAGES):
        title = (_("Label ({language})") if what == "label" else _("Help ({language})")).format(
            language=language_name(lang))
        out[lang] = column.text_input(title, value=current.get(lang, ""), key=f"{key}_{what}_{lang}")
    return out


def number_options(key: str, current: dict | None = None) -> dict:
    current = current or {}
    c1, c2, c3 = st.columns(3)
    return {"min": c1.text_input(_("Smallest value"), value=str(current.get("min", "")), key=f"{key}_min"),
            "max": c2.text_input(_("Largest value"), value=str(current.get("max", "")), key=f"{key}_max"),
            "decimals": c3.text_input(_("Decimal places"), value=str(current.get("decimals", "")),
                                      key=f"{key}_decimals")}


def forget_versions() -> None:
    """Every field's version is read afresh (after a change of order, which touches every field)."""
    for state_key in [k for k in st.session_state if str(k).startswith("cf_version_")]:
        del st.session_state[state_key]


def yes(value: bool) -> str:
    return _("Yes") if value else _("No")


who = actor()
st.title(_("Custom fields"))
show_flash()
st.caption(_("Fields added here appear on the forms and profiles of customers or interactions at once, without a "
             "code change. A deactivated field is hidden and keeps its values."))
entity = st.radio(_("Fields of"), list(ENTITIES), format_func=lambda e: label(ENTITIES, e), horizontal=True,
                  key="cf_entity")
fields = call(fields_for, entity, include_inactive=True) or []

st.header(_("Fields"))
if fields:
    dataframe(table_of([{
        _("Label"): f.label, _("Code"): f.code, _("Type"): label(TYPES, f.type), _("Required"): yes(f.required),
        _("Choices"): ", ".join(c.label for c in f.offered), _("Help"): f.help_text, _("Active"): yes(f.active),
    } for f in fields]), hide_index=True, width="stretch")
else:
    st.caption(_("No custom fields yet."))

st.header(_("Add a field"))
new_labels = labels_inputs(NEW)
new_type = st.selectbox(_("Type"), list(TYPES), format_func=lambda t: label(TYPES, t), key=f"{NEW}_type")
new_options: dict = {}
new_choices: list = []
if new_type == "number":
    new_options = number_options(NEW)
if new_type in CHOICE_TYPES:
    new_choices = choices_from_lines(st.text_area(
        _("Choices, one per line"), key=f"{NEW}_choices",
        help=_("Write each choice in English; add the other languages after bars: North | Utara | Север | شمال")))
new_help = labels_inputs(NEW, what="help")
new_required = st.checkbox(_("Required"), key=f"{NEW}_required")
new_default = st.text_input(_("Value for the records that already exist (when required)"), key=f"{NEW}_default",
                            disabled=not new_required)
if st.button(_("Add field"), type="primary", key=f"{NEW}_add"):
    added = call(add_field, entity, new_labels, new_type, required=new_required, help=new_help,
                 options=new_options, choices=new_choices, default_for_existing=new_default or None)
    if added:
        for state_key in [k for k in st.session_state if str(k).startswith(f"{NEW}_")]:
            del st.session_state[state_key]
        flash(_("Field “{label}” added.").format(label=added.label))
        st.rerun()

if fields:
    st.header(_("Change a field"))
    by_id = {f.id: f for f in fields}
    chosen_id = st.selectbox(_("Field"), list(by_id), key="cf_chosen", format_func=lambda i: (
        by_id[i].label if by_id[i].active else _("{label} (inactive)").format(label=by_id[i].label)))
    chosen = by_id[chosen_id]
    version_key = f"cf_version_{chosen.id}"
    st.session_state.setdefault(version_key, chosen.version)
    edit = f"cf_edit_{chosen.id}"
    edit_labels = labels_inputs(edit, chosen.labels)
    edit_help = labels_inputs(edit, chosen.help, what="help")
    types = [t for t in TYPES if (t in CHOICE_TYPES) == (chosen.type in CHOICE_TYPES)]
    edit_type = st.selectbox(_("Type"), types, index=types.index(chosen.type), key=f"{edit}_type",
                             format_func=lambda t: label(TYPES, t),
                             help=_("Stored values are converted; a change that would lose any is refused."))
    edit_options = number_options(edit, chosen.options) if edit_type == "number" else None
    edit_required = st.checkbox(_("Required"), value=chosen.required, key=f"{edit}_required")
    edit_default = st.text_input(_("Value for the records without one (when made required)"),
                                 key=f"{edit}_default", disabled=not edit_required or chosen.required)
    b1, b2, b3, b4 = st.columns(4)
    if b1.button(_("Save changes"), type="primary", key=f"{edit}_save"):
        saved = call(update_field, chosen.id, version=st.session_state[version_key], labels=edit_labels,
                     help=edit_help, required=edit_required, options=edit_options, type=edit_type,
                     default_for_existing=edit_default or None)
        if saved:
            st.session_state[version_key] = saved.version
            flash(_("Field “{label}” saved.").format(label=saved.label))
            st.rerun()
    order = [f.code for f in fields]
    at = order.index(chosen.code)
    if b2.button(_("Move up"), key=f"{edit}_up", disabled=at == 0):
        order.insert(at - 1, order.pop(at))
        if call(reorder_fields, entity, order) is not None:
            forget_versions()
            st.rerun()
    if b3.button(_("Move down"), key=f"{edit}_down", disabled=at == len(order) - 1):
        order.insert(at + 1, order.pop(at))
        if call(reorder_fields, entity, order) is not None:
            forget_versions()
            st.rerun()
    if chosen.active:
        if b4.button(_("Deactivate"), key=f"{edit}_deactivate",
                     help=_("Hidden from forms and profiles; the values are kept.")):
            if call(deactivate_field, chosen.id) is not None:
                st.session_state.pop(version_key, None)
                flash(_("Field “{label}” deactivated; its values are kept.").format(label=chosen.label))
                st.rerun()
    elif b4.button(_("Reactivate"), key=f"{edit}_reactivate"):
        if call(reactivate_field, chosen.id) is not None:
            st.session_state.pop(version_key, None)
            flash(_("Field “{label}” reactivated.").format(label=chosen.label))
            st.rerun()
    if chosen.list_code:
        st.subheader(_("Choices of “{label}”").format(label=chosen.label))
        st.caption(", ".join(c.label if c.active else _("{label} (inactive)").format(label=c.label)
                             for c in chosen.choices))
        more = choices_from_lines(st.text_input(_("New choice"), key=f"{edit}_new_choice",
                                                help=_("English, then other languages after bars")))
        if st.button(_("Add choice"), key=f"{edit}_add_choice"):
            if not more:
                st.error(_("Nothing was saved. Please correct:\n{problems}").format(
                    problems="- " + _("The English label is required.")))
            elif call(add_value, chosen.list_code, more[0]) is not None:
                flash(_("Choice “{label}” added.").format(label=more[0].get("en", "")))
                st.rerun()
