"""Requirements: the register of functional, technology, vendor and operational requirements."""
import pandas as pd
import streamlit as st

from crm.access import can
from crm.requirements import (
    KINDS,
    PRIORITIES,
    REQ_STATUSES,
    add_requirement,
    export_requirements_csv,
    list_requirements,
    update_requirement,
)
from ui.context import actor, call, flash, show_flash

who = actor()
may_edit = can(who, "checklist.write")
ANY = "(any)"

st.title("Requirements")
show_flash()
st.caption("Documented clearly and split by kind, each tied to the company goal it serves, so that the "
           "project spends only on what is needed.")
f1, f2, f3 = st.columns(3)
kind = f1.selectbox("Kind", [ANY, *KINDS], format_func=lambda k: KINDS.get(k, k))
priority = f2.selectbox("Priority", [ANY, *PRIORITIES], format_func=lambda k: PRIORITIES.get(k, k))
status = f3.selectbox("Status", [ANY, *REQ_STATUSES], format_func=lambda k: REQ_STATUSES.get(k, k))
filters = {"kind": None if kind == ANY else kind, "priority": None if priority == ANY else priority,
           "status": None if status == ANY else status}
rows = call(list_requirements, **filters) or []
total_cost = sum(float(r.estimated_cost or 0) for r in rows if r.status != "dropped")
st.caption(f"{len(rows)} requirements · estimated cost of those not dropped: {total_cost:,.0f}")
if rows:
    st.dataframe(pd.DataFrame([{
        "#": r.id, "Kind": KINDS[r.kind], "Requirement": r.title, "Priority": PRIORITIES[r.priority],
        "Status": REQ_STATUSES[r.status], "Owner": r.owner, "Company goal": r.company_goal,
        "Estimated cost": float(r.estimated_cost) if r.estimated_cost is not None else None,
        "Checklist item": r.checklist_item, "Budget line": r.budget_line,
    } for r in rows]), hide_index=True, width="stretch")
    data = call(export_requirements_csv, **filters)
    if data:
        st.download_button("Export CSV", data, file_name="requirements.csv", mime="text/csv")

if may_edit:
    st.subheader("Edit a requirement")
    labels = {f"#{r.id} {r.title}": r for r in rows}
    chosen = st.selectbox("Requirement", list(labels), index=None, placeholder="Choose a requirement")
    if chosen:
        r = labels[chosen]
        with st.form(f"req_{r.id}"):
            c1, c2 = st.columns(2)
            new_priority = c1.selectbox("Priority ", list(PRIORITIES), index=list(PRIORITIES).index(r.priority),
                                        format_func=PRIORITIES.get)
            new_status = c2.selectbox("Status ", list(REQ_STATUSES), index=list(REQ_STATUSES).index(r.status),
                                      format_func=REQ_STATUSES.get)
            goal = st.text_input("Company goal it serves", value=r.company_goal or "")
            cost = st.text_input("Estimated cost", value="" if r.estimated_cost is None else str(r.estimated_cost))
            if st.form_submit_button("Save requirement", type="primary"):
                if call(update_requirement, r.id, {"priority": new_priority, "status": new_status,
                                                   "company_goal": goal, "estimated_cost": cost}, r.version):
                    flash("Requirement saved.")
                    st.rerun()
    with st.expander("Add a requirement"):
        with st.form("new_req", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            new_kind = c1.selectbox("Kind ", list(KINDS), format_func=KINDS.get)
            new_prio = c2.selectbox("Priority  ", list(PRIORITIES), index=1, format_func=PRIORITIES.get)
            new_cost = c3.text_input("Estimated cost ")
            title = st.text_input("Title")
            description = st.text_area("Description")
            goal = st.text_input("Company goal")
            if st.form_submit_button("Add requirement"):
                if call(add_requirement, {"kind": new_kind, "priority": new_prio, "estimated_cost": new_cost,
                                          "title": title, "description": description, "company_goal": goal}):
                    flash(f"Added: {title}")
                    st.rerun()
