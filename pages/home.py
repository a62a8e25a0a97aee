"""Home: what this person needs first."""
import pandas as pd
import streamlit as st

from crm.home import summary
from ui.context import actor, call

who = actor()
st.title("Home")
st.write(f"Welcome, **{who.full_name}** — {who.department_name}, {who.role_name}.")

data = call(summary)
if data is not None:
    if data.counts:
        columns = st.columns(len(data.counts))
        for column, (label, value) in zip(columns, data.counts.items()):
            column.metric(label, f"{value:,}")

    if data.rollout:
        st.subheader("Rollout progress")
        st.dataframe(pd.DataFrame(data.rollout), hide_index=True, width="stretch")

    if data.plans:
        st.subheader("Budget plans")
        st.dataframe(pd.DataFrame(data.plans), hide_index=True, width="stretch")

    st.subheader("My open follow-ups")
    if data.follow_ups:
        st.dataframe(
            pd.DataFrame(
                [{"Due": f.due_on, "Overdue": "yes" if f.overdue else "", "Customer": f.customer_name,
                  "Subject": f.subject} for f in data.follow_ups]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("Nothing due. Follow-ups you schedule when logging an interaction appear here.")
