"""Interactions: log one, browse everybody's, my follow-ups, and the feedback board."""
import datetime as dt

import pandas as pd
import streamlit as st

from crm.access import DEPARTMENTS, can
from crm.customers import search_customers
from crm.interactions import (
    CHANNELS,
    FEEDBACK_KINDS,
    InteractionFilters,
    complete_follow_up,
    feedback_board,
    feedback_customers,
    list_interactions,
    my_follow_ups,
)
from ui.context import actor, call
from ui.interaction_form import interaction_form

who = actor()
ANY = "(any)"

st.title("Interactions")
tab_names = ["My follow-ups", "Browse", "Feedback board"]
if can(who, "interactions.write"):
    tab_names.insert(0, "Log an interaction")
tabs = dict(zip(tab_names, st.tabs(tab_names)))

if "Log an interaction" in tabs:
    with tabs["Log an interaction"]:
        st.caption(f"Recorded under your department: {who.department_name}.")
        find = st.text_input("Find the customer", key="log_find", placeholder="Name, company, e-mail or phone")
        found = call(search_customers, find, page_size=20) if find.strip() else None
        options = {f"{r.name} — {r.company or r.country or ''} (#{r.id})": r.id for r in (found.rows if found else [])}
        if find.strip() and not options:
            st.info("No customer matches that search.")
        interaction_form("log_interaction", options=options)

with tabs["My follow-ups"]:
    due = call(my_follow_ups) or []
    overdue = [f for f in due if f.overdue]
    st.caption(f"{len(due)} open · {len(overdue)} overdue · {sum(f.due_today for f in due)} due today")
    if not due:
        st.info("No open follow-ups. Set a follow-up date when you log an interaction.")
    for item in due:
        c1, c2 = st.columns([5, 1])
        flag = "🔴 overdue" if item.overdue else ("🟠 today" if item.due_today else "")
        c1.markdown(f"**{item.due_on:%Y-%m-%d}** {flag} — {item.customer}: {item.subject}")
        if c2.button("Done", key=f"done_{item.interaction_id}"):
            call(complete_follow_up, item.interaction_id)
            st.rerun()

with tabs["Browse"]:
    f1, f2, f3 = st.columns(3)
    dept = f1.selectbox("Department", [ANY, *DEPARTMENTS], format_func=lambda d: DEPARTMENTS.get(d, d))
    channel = f2.selectbox("Channel", [ANY, *CHANNELS], format_func=lambda c: CHANNELS.get(c, c))
    kind = f3.selectbox("Feedback kind", [ANY, *FEEDBACK_KINDS], format_func=lambda k: FEEDBACK_KINDS.get(k, k))
    f4, f5, f6 = st.columns(3)
    date_from = f4.date_input("From", value=dt.date.today() - dt.timedelta(days=90))
    date_to = f5.date_input("To", value=dt.date.today())
    mine = f6.checkbox("Only mine")
    filters = InteractionFilters(
        department=None if dept == ANY else dept, channel=None if channel == ANY else channel,
        feedback_kind=None if kind == ANY else kind, user_id=who.user_id if mine else None,
        date_from=date_from, date_to=date_to,
    )
    page_no = st.session_state.get("int_page", 1)
    result = call(list_interactions, filters, page=page_no, page_size=50)
    if result is not None:
        st.caption(f"{result.total:,} interactions")
        if result.rows:
            st.dataframe(pd.DataFrame([{
                "When": r.occurred_at, "Customer": r.customer, "Department": r.department, "Who": r.user,
                "Channel": CHANNELS.get(r.channel), "Subject": r.subject, "Outcome": r.outcome,
                "Feedback": FEEDBACK_KINDS.get(r.feedback_kind or "", ""), "Tags": ", ".join(r.tags),
                "Follow-up": r.follow_up_on,
            } for r in result.rows]), hide_index=True, width="stretch")
        st.number_input("Page", min_value=1, max_value=result.pages, key="int_page")

with tabs["Feedback board"]:
    st.caption("What customers ask for and complain about, across every department — so that sales, "
               "marketing and product see what support hears.")
    b1, b2 = st.columns(2)
    board_kind = b1.selectbox("Show", [ANY, *FEEDBACK_KINDS], format_func=lambda k: FEEDBACK_KINDS.get(k, "All feedback"),
                              key="board_kind")
    since = b2.date_input("Since", value=dt.date.today() - dt.timedelta(days=365), key="board_since")
    items = call(feedback_board, kind=None if board_kind == ANY else board_kind, since=since) or []
    if not items:
        st.info("No feedback recorded in this period.")
    else:
        board = pd.DataFrame([{
            "Kind": FEEDBACK_KINDS[i.kind], "Topic": i.tag, "Mentions": i.mentions, "Customers": i.customers,
            "Raised by": ", ".join(i.departments),
        } for i in items])
        st.dataframe(board, hide_index=True, width="stretch")
        topics = {f"{FEEDBACK_KINDS[i.kind]}: {i.tag}": i for i in items}
        chosen = st.selectbox("Customers behind", list(topics), index=None, placeholder="Choose a topic")
        if chosen:
            item = topics[chosen]
            people = call(feedback_customers, item.kind, item.tag) or []
            st.dataframe(pd.DataFrame(people).drop(columns=["id"], errors="ignore"), hide_index=True, width="stretch")
