"""Home: what this person needs first."""
import streamlit as st

from crm.budget.codes import PLAN_STATUSES
from crm.core.i18n import _, date, label, number
from crm.interactions.home import summary
from crm.rollout.checklist import PHASES
from ui.context import actor, call
from ui.formatting import dataframe, table_of

who = actor()
st.title(_("Home"))
st.write(_("Welcome, **{name}** — {department}, {role}.").format(
    name=who.full_name, department=who.department_name, role=who.role_name))

data = call(summary)
if data is not None:
    if data.counts:
        # short labels (a metric cuts a long one off), the whole meaning in the help
        counts = [(_("Customers"), data.counts.customers, None), (_("Prospects"), data.counts.prospects, None),
                  (_("Interactions, 30 days"), data.counts.department_interactions,
                   _("Interactions by my department, last 30 days")),
                  (_("My open follow-ups"), data.counts.open_follow_ups, _("Open follow-ups for me"))]
        for column, (caption, value, meaning) in zip(st.columns(len(counts)), counts):
            column.metric(caption, number(value), help=meaning)

    if data.rollout:
        st.header(_("Rollout progress"))
        dataframe(table_of([{
            _("Phase"): label(PHASES, r.phase),
            _("Items"): r.items, _("Done"): r.done, _("Blocked"): r.blocked, _("Progress %"): r.progress,
            _("Signed off"): r.signed_off,
        } for r in data.rollout]), hide_index=True, width="stretch")

    if data.plans:
        st.header(_("Budget plans"))
        dataframe(table_of([{
            _("Plan"): p.name, _("Fiscal year"): p.fiscal_year, _("Scenario"): p.scenario,
            _("Revision"): p.revision,
            _("Status"): label(PLAN_STATUSES, p.status),
        } for p in data.plans]), hide_index=True, width="stretch")

    st.header(_("My open follow-ups"))
    if data.follow_ups:
        dataframe(
            table_of(
                [{_("Due"): date(f.due_on), _("Overdue"): _("yes") if f.overdue else "",
                  _("Customer"): f.customer, _("Subject"): f.subject} for f in data.follow_ups]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(_("Nothing due. Follow-ups you schedule when logging an interaction appear here."))
