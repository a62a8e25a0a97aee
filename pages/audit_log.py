"""Audit log: who did what and when — sign-ins, refusals, changes with before and after, reads of personal data."""
import datetime as dt

import streamlit as st

from crm.core.audit import AuditFilters, distinct_values, export_events_csv, list_events
from crm.core.i18n import _, datetime, ngettext, number
from ui.audit_text import action_label, changes, entity_label, record, who
from ui.context import actor, call
from ui.formatting import dataframe, table_of


def any_or(show):  # type: ignore[no-untyped-def]
    """A filter's choices: None stands for "no filter", a stored code is shown by ``show``."""
    return lambda value: _("(any)") if value is None else show(value)


actor()  # signed in (and this session's language in use)
st.title(_("Audit log"))
st.caption(_("Every sign-in, failed sign-in, refusal, change and read of personal data. Read-only: nobody can "
             "edit or delete audit rows through the portal."))
values = call(distinct_values) or {"username": [], "action": [], "entity": [], "source": []}
c1, c2, c3, c4 = st.columns(4)
user = c1.selectbox(_("User"), [None, *values["username"]], format_func=any_or(str))
action = c2.selectbox(_("Action"), [None, *values["action"]], format_func=any_or(action_label))
entity = c3.selectbox(_("Record type"), [None, *values["entity"]], format_func=any_or(entity_label))
source = c4.selectbox(_("Source"), [None, *values["source"]], format_func=any_or(str))
d1, d2 = st.columns(2)
date_from = d1.date_input(_("From"), value=dt.date.today() - dt.timedelta(days=30))
date_to = d2.date_input(_("To"), value=dt.date.today())
filters = AuditFilters(username=user, action=action, entity=entity, source=source,
                       date_from=date_from, date_to=date_to)
page_no = st.session_state.get("audit_page", 1)
result = call(list_events, filters, page=page_no, page_size=100)
if result is not None:
    st.caption(ngettext("{n} event", "{n} events", result.total).format(n=number(result.total)))
    if result.rows:
        dataframe(table_of([{
            _("When"): datetime(r.at), _("User"): who(r), _("Action"): action_label(r.action),
            _("Record"): record(r), _("Changes (before → after)"): changes(r), _("Detail"): r.detail,
            _("Source"): r.source,
        } for r in result.rows]), hide_index=True, width="stretch")
    st.number_input(_("Page"), min_value=1, max_value=result.pages, key="audit_page")
    if st.button(_("Prepare CSV export")):
        data = call(export_events_csv, filters)
        if data:
            st.download_button(_("Download audit log (CSV)"), data, file_name="audit-log.csv", mime="text/csv")
