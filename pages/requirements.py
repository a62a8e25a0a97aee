"""Requirements: the register of functional, technology, vendor and operational requirements."""
import streamlit as st

from crm.core.access import can
from crm.core.i18n import _, label, money, ngettext, number
from crm.rollout.requirements import (
    KINDS,
    PRIORITIES,
    REQ_STATUSES,
    add_requirement,
    export_requirements_csv,
    list_requirements,
    update_requirement,
)
from ui.context import actor, call, flash, show_flash
from ui.columns import column_picker
from ui.formatting import dataframe, table_of

who = actor()
may_edit = can(who, "checklist.write")
ANY = "(any)"  # i18n: ok (the 'no filter' choice; shown as _("(any)"))


def label_or_any(kind: dict[str, str]):
    """format_func for a filter: the label of a code, or '(any)'."""
    return lambda code: _("(any)") if code == ANY else label(kind, code)


st.title(_("Requirements"))
show_flash()
st.caption(_("Documented clearly and split by kind, each tied to the company goal it serves, so that the "
             "project spends only on what is needed."))
f1, f2, f3 = st.columns(3)
kind = f1.selectbox(_("Kind"), [ANY, *KINDS], format_func=label_or_any(KINDS))
priority = f2.selectbox(_("Priority"), [ANY, *PRIORITIES], format_func=label_or_any(PRIORITIES))
status = f3.selectbox(_("Status"), [ANY, *REQ_STATUSES], format_func=label_or_any(REQ_STATUSES))
filters = {"kind": None if kind == ANY else kind, "priority": None if priority == ANY else priority,
           "status": None if status == ANY else status}
rows = call(list_requirements, **filters) or []
total_cost = sum(float(r.estimated_cost or 0) for r in rows if r.status != "dropped")
st.caption(ngettext("{n} requirement · estimated cost of those not dropped: {cost}",
                    "{n} requirements · estimated cost of those not dropped: {cost}",
                    len(rows)).format(n=number(len(rows)), cost=money(total_cost)))
if rows:
    # r.checklist_item is the linked item's title: a template title is shown translated, a typed one as is.
    table = table_of([{
        "#": r.id, _("Kind"): label(KINDS, r.kind), _("Requirement"): r.title, _("Priority"): label(PRIORITIES, r.priority),
        _("Status"): label(REQ_STATUSES, r.status), _("Owner"): r.owner, _("Company goal"): r.company_goal,
        _("Estimated cost"): float(r.estimated_cost) if r.estimated_cost is not None else None,
        _("Checklist item"): _(r.checklist_item) if r.checklist_item else None, _("Budget line"): r.budget_line,
    } for r in rows])
    shown = column_picker("requirements_columns", list(table.columns), [
        _("Kind"), _("Requirement"), _("Priority"), _("Status"), _("Company goal"), _("Estimated cost")])
    dataframe(table[shown], hide_index=True, width="stretch", column_config={
        _("Requirement"): st.column_config.TextColumn(width="large"),
        _("Company goal"): st.column_config.TextColumn(width="large"),
        _("Estimated cost"): st.column_config.NumberColumn(format="%.2f", width="small")})
    data = call(export_requirements_csv, **filters)
    if data:
        st.download_button(_("Export CSV"), data, file_name="requirements.csv", mime="text/csv")

if may_edit:
    st.header(_("Edit a requirement"))
    labels = {f"#{r.id} {r.title}": r for r in rows}
    chosen = st.selectbox(_("Requirement"), list(labels), index=None, placeholder=_("Choose a requirement"))
    if chosen:
        r = labels[chosen]
        with st.form(f"req_{r.id}"):
            c1, c2 = st.columns(2)
            new_priority = c1.selectbox(_("Priority"), list(PRIORITIES), index=list(PRIORITIES).index(r.priority),
                                        format_func=lambda c: label(PRIORITIES, c), key=f"edit_req_priority_{r.id}")
            new_status = c2.selectbox(_("Status"), list(REQ_STATUSES), index=list(REQ_STATUSES).index(r.status),
                                      format_func=lambda c: label(REQ_STATUSES, c), key=f"edit_req_status_{r.id}")
            goal = st.text_input(_("Company goal it serves"), value=r.company_goal or "")
            cost = st.text_input(_("Estimated cost"), value="" if r.estimated_cost is None else str(r.estimated_cost),
                                 key=f"edit_req_cost_{r.id}")
            if st.form_submit_button(_("Save requirement"), type="primary"):
                if call(update_requirement, r.id, {"priority": new_priority, "status": new_status,
                                                   "company_goal": goal, "estimated_cost": cost}, r.version):
                    flash(_("Requirement saved."))
                    st.rerun()
    with st.expander(_("Add a requirement")):
        with st.form("new_req", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            new_kind = c1.selectbox(_("Kind"), list(KINDS), format_func=lambda c: label(KINDS, c), key="new_req_kind")
            new_prio = c2.selectbox(_("Priority"), list(PRIORITIES), index=1, format_func=lambda c: label(PRIORITIES, c),
                                    key="new_req_priority")
            new_cost = c3.text_input(_("Estimated cost"), key="new_req_cost")
            title = st.text_input(_("Title"))
            description = st.text_area(_("Description"))
            goal = st.text_input(_("Company goal"))
            if st.form_submit_button(_("Add requirement")):
                if call(add_requirement, {"kind": new_kind, "priority": new_prio, "estimated_cost": new_cost,
                                          "title": title, "description": description, "company_goal": goal}):
                    flash(_("Added: {title}").format(title=title))
                    st.rerun()
