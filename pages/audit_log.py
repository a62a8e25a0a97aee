"""Audit log: who did what and when — sign-ins, refusals, changes with before and after, reads of personal data."""
import datetime as dt

import pandas as pd
import streamlit as st

from crm.audit import AuditFilters, distinct_values, export_events_csv, list_events
from ui.context import call

ANY = "(any)"
st.title("Audit log")
st.caption("Every sign-in, failed sign-in, refusal, change and read of personal data. Read-only: nobody can "
           "edit or delete audit rows through the portal.")
values = call(distinct_values) or {"username": [], "action": [], "entity": [], "source": []}
c1, c2, c3, c4 = st.columns(4)
user = c1.selectbox("User", [ANY, *values["username"]])
action = c2.selectbox("Action", [ANY, *values["action"]])
entity = c3.selectbox("Record type", [ANY, *values["entity"]])
source = c4.selectbox("Source", [ANY, *values["source"]])
d1, d2 = st.columns(2)
date_from = d1.date_input("From", value=dt.date.today() - dt.timedelta(days=30))
date_to = d2.date_input("To", value=dt.date.today())
filters = AuditFilters(username=None if user == ANY else user, action=None if action == ANY else action,
                       entity=None if entity == ANY else entity, source=None if source == ANY else source,
                       date_from=date_from, date_to=date_to)
page_no = st.session_state.get("audit_page", 1)
result = call(list_events, filters, page=page_no, page_size=100)
if result is not None:
    rows, total = result
    st.caption(f"{total:,} events")
    if rows:
        st.dataframe(pd.DataFrame([{
            "When": r.at, "User": r.username, "Action": r.action, "Record": f"{r.entity or ''} {r.entity_id or ''}",
            "Source": r.source, "Before": str(r.before) if r.before else "", "After": str(r.after) if r.after else "",
            "Detail": r.detail,
        } for r in rows]), hide_index=True, width="stretch")
    st.number_input("Page", min_value=1, max_value=max(1, -(-total // 100)), key="audit_page")
    if st.button("Prepare CSV export"):
        data = call(export_events_csv, filters)
        if data:
            st.download_button("Download audit log (CSV)", data, file_name="audit-log.csv", mime="text/csv")
