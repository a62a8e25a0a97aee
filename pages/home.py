"""Home: what this person needs first."""
import pandas as pd
import streamlit as st

from crm.interactions.home import summary
from crm.core.i18n import _, date, number
from ui.context import actor, call

who = actor()
st.title(_("Home"))
st.write(_("Welcome, **{name}** — {department}, {role}.").format(
    name=who.full_name, department=who.department_name, role=who.role_name))

data = call(summary)
if data is not None:
    if data.counts:
        columns = st.columns(len(data.counts))
        for column, (label, value) in zip(columns, data.counts.items()):
            column.metric(_(label), number(value))

    if data.rollout:
        st.subheader(_("Rollout progress"))
        rollout = [{**row, "Phase": _(str(row["Phase"]))} for row in data.rollout]
        st.dataframe(pd.DataFrame(rollout).rename(columns=_), hide_index=True, width="stretch")

    if data.plans:
        st.subheader(_("Budget plans"))
        plans = [{**row, "Status": _(str(row["Status"]))} for row in data.plans]
        st.dataframe(pd.DataFrame(plans).rename(columns=_), hide_index=True, width="stretch")

    st.subheader(_("My open follow-ups"))
    if data.follow_ups:
        st.dataframe(
            pd.DataFrame(
                [{_("Due"): date(f.due_on), _("Overdue"): _("yes") if f.overdue else "",
                  _("Customer"): f.customer, _("Subject"): f.subject} for f in data.follow_ups]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(_("Nothing due. Follow-ups you schedule when logging an interaction appear here."))
