"""Checklist: where the CRM rollout stands, the items of each phase, sign-offs, maintenance, stakeholders."""
import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm.access import DEPARTMENTS, can
from crm.checklist import (
    CATEGORIES,
    PHASES,
    STATUSES,
    add_item,
    budget_approved,
    due_soon,
    list_items,
    phase_progress,
    readiness_score,
    revoke_sign_off,
    sign_off,
    start_project,
    update_item,
)
from crm.requirements import INFLUENCE, add_stakeholder, list_stakeholders
from ui.context import actor, call, flash, show_flash

who = actor()
may_edit = can(who, "checklist.write")
may_sign = can(who, "checklist.signoff")

st.title("Checklist")
show_flash()

items = call(list_items) or []
if not items:
    st.info("The rollout checklist is empty.")
    if may_edit and st.button("Start the project from the built-in template"):
        count = call(start_project)
        if count is not None:
            st.success(f"Created {count} checklist items.")
            st.rerun()
    st.stop()

progress = call(phase_progress) or []
score = call(readiness_score)

# ------------------------------------------------------------ at a glance
st.subheader("Where the rollout stands")
cols = st.columns(len(progress) + 1)
cols[0].metric("Readiness score", f"{score}/100",
               help="Share of pre-implementation items done or not applicable, minus 5 points per blocked "
                    "item and 2 per overdue item.")
for col, p in zip(cols[1:], progress):
    col.metric(PHASES[p.phase], f"{p.percent}%", help=f"{p.closed} of {p.total} items closed")
    col.caption(("✅ signed off by " + p.signed_by) if p.signed_off else
                f"{p.blocked} blocked · {p.overdue} overdue")
blocked = [i for i in items if i.status == "blocked"]
late = [i for i in items if i.overdue]
if blocked:
    st.error("**Blocked:** " + "; ".join(f"{i.title} — {i.blocked_reason}" for i in blocked))
if late:
    st.warning("**Late:** " + "; ".join(f"{i.title} (due {i.due_on:%Y-%m-%d}, {i.owner or 'no owner'})" for i in late))
if call(budget_approved):
    st.caption("Budget: an approved plan exists for this year (Budget page).")
else:
    st.caption("Budget: no approved budget plan for this year yet (Budget page).")

# ----------------------------------------------------------------- timeline
st.subheader("Timeline")
color_by = st.radio("Colour by", ["Owner", "Category", "Status"], horizontal=True)
frame = pd.DataFrame([{
    "Item": i.title, "Phase": PHASES[i.phase], "Owner": i.owner or "(none)", "Category": CATEGORIES[i.category],
    "Status": STATUSES[i.status], "Start": i.start_on or i.due_on, "Due": i.due_on,
} for i in items if i.due_on])
if not frame.empty:
    chart = alt.Chart(frame).mark_bar(cornerRadius=3).encode(
        x=alt.X("Start:T", title=None), x2="Due:T",
        y=alt.Y("Item:N", sort=None, title=None),
        color=alt.Color(f"{color_by}:N"),
        tooltip=["Item", "Phase", "Owner", "Category", "Status", "Start:T", "Due:T"],
    ).properties(height=max(200, 22 * len(frame)))
    st.altair_chart(chart, width="stretch")

# -------------------------------------------------------------------- phases
for phase, title in PHASES.items():
    phase_items = [i for i in items if i.phase == phase]
    p = next((x for x in progress if x.phase == phase), None)
    with st.expander(f"{title} — {p.percent if p else 0}% ({len(phase_items)} items)", expanded=phase != "maintenance"):
        st.dataframe(pd.DataFrame([{
            "Item": i.title, "Category": CATEGORIES[i.category], "Owner": i.owner, "Due": i.due_on,
            "Status": ("⚠ " if i.overdue else "") + STATUSES[i.status], "Blocked by": i.blocked_reason,
            "Evidence": i.evidence, "Completed by": i.completed_by, "Completed": i.completed_at,
            "Every (months)": i.recurrence_months, "Expires": i.expires_on,
        } for i in phase_items]), hide_index=True, width="stretch")
        if may_sign and p is not None:
            if p.signed_off:
                reason = st.text_input("Reason for undoing the sign-off", key=f"revoke_reason_{phase}")
                if st.button(f"Undo sign-off of {title}", key=f"revoke_{phase}"):
                    if call(revoke_sign_off, phase, reason):
                        flash(f"{title}: sign-off undone.")
                        st.rerun()
            else:
                comment = st.text_input("Sign-off comment", key=f"signoff_comment_{phase}")
                if st.button(f"Sign off {title}", key=f"signoff_{phase}", type="primary"):
                    if call(sign_off, phase, comment):
                        flash(f"{title} signed off by {who.full_name}.")
                        st.rerun()

# --------------------------------------------------------------------- edit
if may_edit:
    st.subheader("Update an item")
    labels = {f"{PHASES[i.phase]}: {i.title} (#{i.id})": i for i in items}
    chosen = st.selectbox("Item", list(labels), index=None, placeholder="Choose an item to update")
    if chosen:
        item = labels[chosen]
        version_key = f"item_version_{item.id}"
        st.session_state.setdefault(version_key, item.version)
        with st.form(f"item_{item.id}"):
            c1, c2, c3 = st.columns(3)
            status = c1.selectbox("Status", list(STATUSES), index=list(STATUSES).index(item.status),
                                  format_func=STATUSES.get)
            due = c2.date_input("Due on", value=item.due_on)
            category = c3.selectbox("Category", list(CATEGORIES), index=list(CATEGORIES).index(item.category),
                                    format_func=CATEGORIES.get)
            reason = st.text_input("Blocked because", value=item.blocked_reason or "")
            notes = st.text_area("Notes", value=item.notes or "")
            evidence = st.text_input("Evidence (link or text)", value=item.evidence or "")
            if st.form_submit_button("Save item", type="primary"):
                saved = call(update_item, item.id, {"status": status, "due_on": due, "category": category,
                                                    "blocked_reason": reason, "notes": notes,
                                                    "evidence": evidence}, st.session_state[version_key])
                if saved:
                    st.session_state.pop(version_key, None)
                    flash(f"Saved: {saved.title} is {STATUSES[saved.status].lower()}.")
                    st.rerun()
    with st.expander("Add an item"):
        with st.form("new_item", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            phase = c1.selectbox("Phase", list(PHASES), format_func=PHASES.get)
            category = c2.selectbox("Category ", list(CATEGORIES), format_func=CATEGORIES.get)
            due = c3.date_input("Due on ", value=dt.date.today() + dt.timedelta(days=30))
            title = st.text_input("Title")
            months = st.number_input("Repeats every N months (0: once)", min_value=0, max_value=60, value=0)
            if st.form_submit_button("Add item"):
                if call(add_item, {"phase": phase, "category": category, "due_on": due, "title": title,
                                   "recurrence_months": int(months) or None}):
                    st.success("Item added.")

# -------------------------------------------------------------- maintenance
st.subheader("Maintenance due")
horizon = st.radio("Within", [30, 90], format_func=lambda d: f"{d} days", horizontal=True)
soon = call(due_soon, horizon) or []
if soon:
    st.dataframe(pd.DataFrame([{
        "Item": i.title, "Phase": PHASES[i.phase], "Due": i.due_on, "Expires": i.expires_on, "Owner": i.owner,
        "Status": STATUSES[i.status],
    } for i in soon]), hide_index=True, width="stretch")
else:
    st.caption(f"Nothing due in the next {horizon} days.")

# ------------------------------------------------------------- stakeholders
st.subheader("Stakeholders")
people = call(list_stakeholders) or []
if people:
    st.dataframe(pd.DataFrame([{
        "Name": s.name, "Department": s.department, "Role": s.title, "Expectations": s.expectations,
        "Needs": s.needs, "Influence": INFLUENCE[s.influence], "Consulted": "yes" if s.consulted else "not yet",
        "Consulted on": s.consulted_on,
    } for s in people]), hide_index=True, width="stretch")
if may_edit:
    with st.expander("Add a stakeholder"):
        with st.form("stakeholder", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            name = c1.text_input("Name")
            dept = c2.selectbox("Department", [None, *DEPARTMENTS],
                                format_func=lambda d: "(none)" if d is None else DEPARTMENTS[d])
            influence = c3.selectbox("Influence", list(INFLUENCE), index=1, format_func=INFLUENCE.get)
            role = st.text_input("Role or title")
            expectations = st.text_area("Expectations")
            needs = st.text_area("Needs")
            consulted = st.checkbox("Consulted")
            consulted_on = st.date_input("Consulted on", value=None)
            if st.form_submit_button("Add stakeholder"):
                if call(add_stakeholder, {"name": name, "department": dept, "influence": influence, "title": role,
                                          "expectations": expectations, "needs": needs, "consulted": consulted,
                                          "consulted_on": consulted_on}):
                    st.success(f"Added {name}.")
