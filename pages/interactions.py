"""Interactions: log one, browse everybody's, my follow-ups, and the feedback board."""
import datetime as dt

import streamlit as st

from crm.core.access import can
from crm.customers.service import search_customers
from crm.core.i18n import N_, _, date, ngettext, number
from crm.interactions.service import (
    InteractionFilters,
    complete_follow_up,
    feedback_board,
    feedback_customers,
    list_interactions,
    my_follow_ups,
)
from crm.settings.fields import fields_for
from ui.context import actor, call
from ui.field_filters import cell_value, filter_inputs
from ui.formatting import dataframe, table_of
from ui.interaction_form import interaction_form
from ui.lists import managed

who = actor()
depts, chans, kinds = managed("departments"), managed("channels"), managed("feedback_kinds")
ANY = "(any)"
TABS = {"log": N_("Log an interaction"), "mine": N_("My follow-ups"), "browse": N_("Browse"),
        "board": N_("Feedback board")}


def label_or_any(value: str, kind) -> str:
    """format_func for a filter: '(any)', or the label of a code (``kind``: a managed list's ``Choices``)."""
    return _("(any)") if value == ANY else kind.label(value)


def topic(tag: str | None) -> str:
    """A feedback board topic: the tag, or '(no tag)' for the feedback given without one."""
    return _("(no tag)") if tag is None else tag


st.title(_("Interactions"))
tab_keys = ["mine", "browse", "board"]
if can(who, "interactions.write"):
    tab_keys.insert(0, "log")
tabs = dict(zip(tab_keys, st.tabs([_(TABS[k]) for k in tab_keys])))

if "log" in tabs:
    with tabs["log"]:
        st.caption(_("Recorded under your department: {department}.").format(department=who.department_name))
        find = st.text_input(_("Find the customer"), key="log_find", placeholder=_("Name, company, e-mail or phone"))
        found = call(search_customers, find, page_size=20) if find.strip() else None
        options = {f"{r.name} — {r.company or r.country or ''} (#{r.id})": r.id for r in (found.rows if found else [])}
        if find.strip() and not options:
            st.info(_("No customer matches that search."))
        interaction_form("log_interaction", options=options)

with tabs["mine"]:
    due = call(my_follow_ups)
    if due is not None:
        st.caption(_("{open} open · {overdue} overdue · {today} due today").format(
            open=number(due.total), overdue=number(due.overdue), today=number(due.due_today)))
    if not (due and due.rows):
        st.info(_("No open follow-ups. Set a follow-up date when you log an interaction."))
    for item in due.rows if due else []:
        c1, c2 = st.columns([5, 1])
        flag = _("🔴 overdue") if item.overdue else (_("🟠 today") if item.due_today else "")
        c1.markdown(_("**{due}** {flag} — {customer}: {subject}").format(
            due=date(item.due_on), flag=flag, customer=item.customer, subject=item.subject))
        if c2.button(_("Done"), key=f"done_{item.interaction_id}"):
            call(complete_follow_up, item.interaction_id)
            st.rerun()

with tabs["browse"]:
    f1, f2, f3 = st.columns(3)
    dept = f1.selectbox(_("Department"), [ANY, *depts.offered()], format_func=lambda d: label_or_any(d, depts))
    channel = f2.selectbox(_("Channel"), [ANY, *chans.offered()], format_func=lambda c: label_or_any(c, chans))
    kind = f3.selectbox(_("Feedback kind"), [ANY, *kinds.offered()],
                        format_func=lambda k: label_or_any(k, kinds))
    f4, f5, f6 = st.columns(3)
    date_from = f4.date_input(_("From"), value=dt.date.today() - dt.timedelta(days=90))
    date_to = f5.date_input(_("To"), value=dt.date.today())
    mine = f6.checkbox(_("Only mine"))
    fields = call(fields_for, "interactions") or []
    custom_filters: tuple = ()
    if fields:
        with st.expander(_("Filter by custom fields")):
            custom_filters = filter_inputs(fields, "int")
    filters = InteractionFilters(
        department=None if dept == ANY else dept, channel=None if channel == ANY else channel,
        feedback_kind=None if kind == ANY else kind, user_id=who.user_id if mine else None,
        date_from=date_from, date_to=date_to, custom=custom_filters,
    )
    page_no = st.session_state.get("int_page", 1)
    result = call(list_interactions, filters, page=page_no, page_size=50)
    if result is not None:
        if result.more:
            st.caption(_("More than {n} interactions: filter by date, department or channel to narrow them down.")
                       .format(n=number(result.total)))
        else:
            st.caption(ngettext("{n} interaction", "{n} interactions", result.total).format(n=number(result.total)))
        if result.rows:
            dataframe(table_of([{
                _("When"): r.occurred_at, _("Customer"): r.customer, _("Department"): depts.listed(r.department),
                _("Who"): r.user, _("Channel"): chans.listed(r.channel),
                _("Subject"): r.subject, _("Outcome"): r.outcome,
                _("Feedback"): kinds.listed(r.feedback_kind),
                _("Tags"): ", ".join(r.tags), _("Follow-up"): r.follow_up_on,
                **{f.label: cell_value(f, r.custom.get(f.code)) for f in fields},
            } for r in result.rows]), hide_index=True, width="stretch")
        st.number_input(_("Page"), min_value=1, max_value=result.pages, key="int_page")

with tabs["board"]:
    st.caption(_("What customers ask for and complain about, across every department — so that sales, "
                 "marketing and product see what support hears."))
    b1, b2 = st.columns(2)
    board_kind = b1.selectbox(_("Show"), [ANY, *kinds.offered()],
                              format_func=lambda k: _("All feedback") if k == ANY else kinds.label(k),
                              key="board_kind")
    since = b2.date_input(_("Since"), value=dt.date.today() - dt.timedelta(days=365), key="board_since")
    items = call(feedback_board, kind=None if board_kind == ANY else board_kind, since=since) or []
    if not items:
        st.info(_("No feedback recorded in this period."))
    else:
        board = table_of([{
            _("Kind"): kinds.listed(i.kind), _("Topic"): topic(i.tag), _("Mentions"): i.mentions,
            _("Customers"): i.customers, _("Raised by"): ", ".join(depts.label(d) for d in i.departments),
        } for i in items])
        dataframe(board, hide_index=True, width="stretch")
        topics = {(i.kind, i.tag): i for i in items}
        chosen = st.selectbox(_("Customers behind"), list(topics), index=None, placeholder=_("Choose a topic"),
                              key="board_behind",
                              format_func=lambda t: _("{kind}: {topic}").format(kind=kinds.label(t[0]),
                                                                                 topic=topic(t[1])))
        if chosen is not None:
            item = topics[chosen]
            people = call(feedback_customers, item.kind, item.tag, since=since) or []  # the board's period
            dataframe(table_of([{
                _("Customer"): p.name, _("Company"): p.company, _("Mentions"): p.mentions,
                _("Last raised"): p.last_raised,
            } for p in people]), hide_index=True, width="stretch")
