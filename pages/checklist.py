"""Checklist: where the CRM rollout stands, the items of each phase, sign-offs, maintenance, stakeholders."""
import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from crm.core.access import can
from crm.rollout.checklist import (
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
    sign_off_states,
    start_project,
    update_item,
)
from crm.core.i18n import N_, _, date, label, ngettext, number, percent
from crm.rollout.requirements import INFLUENCE, add_stakeholder, list_stakeholders
from ui.charts import chart, key_numbers
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of
from ui.lists import managed

# Item titles and phase names of the built-in template are stored in English and marked in crm.rollout.checklist:
# _(title) shows them translated, and a title a user typed comes back unchanged.
COLOUR_BY = {"owner": N_("Owner"), "category": N_("Category"), "status": N_("Status")}

who = actor()
CATS, DEPTS = managed("checklist_categories"), managed("departments")
may_edit = can(who, "checklist.write")
may_sign = can(who, "checklist.signoff")
may_revoke = can(who, "checklist.revoke_signoff")

st.title(_("Checklist"))
show_flash()

items = call(list_items) or []
if not items:
    st.info(_("The rollout checklist is empty."))
    if may_edit and st.button(_("Start the project from the built-in template")):
        count = call(start_project)
        if count is not None:
            st.success(ngettext("Created {n} checklist item.", "Created {n} checklist items.", count).format(
                n=number(count)))
            st.rerun()
    st.stop()

progress = call(phase_progress) or []
score = call(readiness_score)
sign_off_state = call(sign_off_states) or {}

# ------------------------------------------------------------ at a glance
st.header(_("Where the rollout stands"))
cols = st.columns(len(progress) + 1)
cols[0].metric(_("Readiness score"), _("{score}/100").format(score=number(score)),
               help=_("Share of pre-implementation items done or not applicable, minus 5 points per blocked "
                      "item and 2 per overdue item."))
for col, p in zip(cols[1:], progress):
    col.metric(label(PHASES, p.phase), percent(p.percent / 100),
               help=ngettext("{closed} of {total} item closed", "{closed} of {total} items closed",
                             p.total).format(closed=number(p.closed), total=number(p.total)))
    col.caption(_("✅ signed off by {name}").format(name=p.signed_by) if p.signed_off else
                _("{blocked} blocked · {overdue} overdue").format(blocked=number(p.blocked),
                                                                   overdue=number(p.overdue)))
blocked = [i for i in items if i.status == "blocked"]
late = [i for i in items if i.overdue]
if blocked:
    st.error(_("**Blocked:** {items}").format(
        items="; ".join(f"{_(i.title)} — {i.blocked_reason}" for i in blocked)))
if late:
    st.warning(_("**Late:** {items}").format(items="; ".join(
        _("{title} (due {due}, {owner})").format(title=_(i.title), due=date(i.due_on),
                                                 owner=i.owner or _("no owner"))
        for i in late)))
if call(budget_approved):
    st.caption(_("Budget: an approved plan exists for this year (Budget page)."))
else:
    st.caption(_("Budget: no approved budget plan for this year yet (Budget page)."))

# ----------------------------------------------------------------- timeline
st.header(_("Timeline"))
color_by = st.radio(_("Colour by"), list(COLOUR_BY), format_func=lambda c: _(COLOUR_BY[c]), horizontal=True)
frame = pd.DataFrame([{
    "item": _(i.title), "phase": label(PHASES, i.phase), "owner": i.owner or _("(none)"),
    "category": CATS.listed(i.category), "status": label(STATUSES, i.status),
    "start": i.start_on or i.due_on, "due": i.due_on,
} for i in items if i.due_on])
if not frame.empty:
    timeline = alt.Chart(frame).mark_bar(cornerRadius=3).encode(
        x=alt.X("start:T", title=None), x2="due:T",
        y=alt.Y("item:N", sort=None, title=None),
        color=alt.Color(f"{color_by}:N", title=_(COLOUR_BY[color_by])),
        tooltip=[alt.Tooltip("item:N", title=_("Item")), alt.Tooltip("phase:N", title=_("Phase")),
                 alt.Tooltip("owner:N", title=_("Owner")), alt.Tooltip("category:N", title=_("Category")),
                 alt.Tooltip("status:N", title=_("Status")), alt.Tooltip("start:T", title=_("Start")),
                 alt.Tooltip("due:T", title=_("Due"))],
    ).properties(height=max(200, 22 * len(frame)))
    chart(timeline, _("Checklist items from start to due date"),
          _("Items by status:") + " " + key_numbers(frame.assign(items=1), "status", "items"))

# -------------------------------------------------------------------- phases
for phase in PHASES:
    title = label(PHASES, phase)
    phase_items = [i for i in items if i.phase == phase]
    p = next((x for x in progress if x.phase == phase), None)
    heading = ngettext("{phase} — {percent} ({n} item)", "{phase} — {percent} ({n} items)", len(phase_items))
    with st.expander(heading.format(phase=title, percent=percent((p.percent if p else 0) / 100),
                                    n=number(len(phase_items))),
                     expanded=phase != "maintenance"):
        dataframe(table_of([{
            _("Item"): _(i.title), _("Category"): CATS.listed(i.category), _("Owner"): i.owner,
            _("Due"): i.due_on, _("Status"): ("⚠ " if i.overdue else "") + label(STATUSES, i.status)
            + (" · " + _(i.measured_by[0]) if i.measured_by else ""),
            _("Blocked by"): i.blocked_reason, _("Evidence"): i.evidence, _("Completed by"): i.completed_by,
            _("Completed"): i.completed_at, _("Every (months)"): i.recurrence_months, _("Expires"): i.expires_on,
        } for i in phase_items]), hide_index=True, width="stretch")
        for i in phase_items:
            if i.measured_by:
                st.caption(_("**{title}** {follows}: {rule}").format(title=_(i.title), follows=_(i.measured_by[0]),
                                                                     rule=_(i.measured_by[1])))
        if p is not None:
            if p.signed_off and may_revoke:
                reason = st.text_input(_("Reason for undoing the sign-off"), key=f"revoke_reason_{phase}")
                if st.button(_("Undo sign-off of {phase}").format(phase=title), key=f"revoke_{phase}"):
                    if call(revoke_sign_off, phase, reason):
                        flash(_("{phase}: sign-off undone.").format(phase=title))
                        st.rerun()
            elif not p.signed_off and phase in sign_off_state:
                state = sign_off_state[phase]
                comment = st.text_input(_("Sign-off comment"), key=f"signoff_comment_{phase}",
                                        disabled=not state.available) if may_sign else None
                clicked = st.button(_("Sign off {phase}").format(phase=title), key=f"signoff_{phase}",
                                    type="primary", disabled=not state.available, help=state.reason)
                if state.reason:
                    st.caption(state.reason)
                if clicked:
                    if call(sign_off, phase, comment):
                        flash(_("{phase} signed off by {name}.").format(phase=title, name=who.full_name))
                        st.rerun()

# --------------------------------------------------------------------- edit
if may_edit:
    st.header(_("Update an item"))
    labels = {f"{label(PHASES, i.phase)}: {_(i.title)} (#{i.id})": i for i in items}
    chosen = st.selectbox(_("Item"), list(labels), index=None, placeholder=_("Choose an item to update"))
    if chosen:
        item = labels[chosen]
        version_key = f"item_version_{item.id}"
        st.session_state.setdefault(version_key, item.version)
        with st.form(f"item_{item.id}"):
            c1, c2, c3 = st.columns(3)
            status = c1.selectbox(_("Status"), list(STATUSES), index=list(STATUSES).index(item.status),
                                  format_func=lambda c: label(STATUSES, c))
            due = c2.date_input(_("Due on"), value=item.due_on)
            offered = CATS.offered(keep=item.category)
            category = c3.selectbox(_("Category"), offered, index=offered.index(item.category),
                                    format_func=CATS.listed)
            reason = st.text_input(_("Blocked because"), value=item.blocked_reason or "")
            notes = st.text_area(_("Notes"), value=item.notes or "")
            evidence = st.text_input(_("Evidence (link or text)"), value=item.evidence or "")
            if st.form_submit_button(_("Save item"), type="primary"):
                saved = call(update_item, item.id, {"status": status, "due_on": due, "category": category,
                                                    "blocked_reason": reason, "notes": notes,
                                                    "evidence": evidence}, st.session_state[version_key])
                if saved:
                    st.session_state.pop(version_key, None)
                    flash(_("Saved: {title} is {status}.").format(title=_(saved.title),
                                                                 status=label(STATUSES, saved.status).lower()))
                    st.rerun()
    with st.expander(_("Add an item")):
        with st.form("new_item", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            phase = c1.selectbox(_("Phase"), list(PHASES), format_func=lambda c: label(PHASES, c))
            category = c2.selectbox(_("Category"), CATS.offered(), format_func=CATS.label,
                                    key="new_item_category")
            due = c3.date_input(_("Due on"), value=dt.date.today() + dt.timedelta(days=30), key="new_item_due")
            title = st.text_input(_("Title"))
            months = st.number_input(_("Repeats every N months (0: once)"), min_value=0, max_value=60, value=0)
            if st.form_submit_button(_("Add item")):
                if call(add_item, {"phase": phase, "category": category, "due_on": due, "title": title,
                                   "recurrence_months": int(months) or None}):
                    st.success(_("Item added."))

# -------------------------------------------------------------- maintenance
st.header(_("Maintenance due"))
horizon = st.radio(_("Within"), [30, 90], format_func=lambda d: ngettext("{n} day", "{n} days", d).format(n=number(d)),
                   horizontal=True)
soon = call(due_soon, horizon) or []
if soon:
    dataframe(table_of([{
        _("Item"): _(i.title), _("Phase"): label(PHASES, i.phase), _("Due"): i.due_on, _("Expires"): i.expires_on,
        _("Owner"): i.owner, _("Status"): label(STATUSES, i.status),
    } for i in soon]), hide_index=True, width="stretch")
else:
    st.caption(ngettext("Nothing due in the next {n} day.", "Nothing due in the next {n} days.", horizon).format(
        n=number(horizon)))

# ------------------------------------------------------------- stakeholders
st.header(_("Stakeholders"))
people = call(list_stakeholders) or []
if people:
    dataframe(table_of([{
        _("Name"): s.name, _("Department"): DEPTS.listed(s.department) or None, _("Role"): s.title,
        _("Expectations"): s.expectations, _("Needs"): s.needs, _("Influence"): label(INFLUENCE, s.influence),
        _("Consulted"): _("yes") if s.consulted else _("not yet"), _("Consulted on"): s.consulted_on,
    } for s in people]), hide_index=True, width="stretch")
if may_edit:
    with st.expander(_("Add a stakeholder")):
        with st.form("stakeholder", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            name = c1.text_input(_("Name"))
            dept = c2.selectbox(_("Department"), [None, *DEPTS.offered()],
                                format_func=lambda d: _("(none)") if d is None else DEPTS.label(d))
            influence = c3.selectbox(_("Influence"), list(INFLUENCE), index=1, format_func=lambda c: label(INFLUENCE, c))
            role = st.text_input(_("Role or title"))
            expectations = st.text_area(_("Expectations"))
            needs = st.text_area(_("Needs"))
            consulted = st.checkbox(_("Consulted"))
            consulted_on = st.date_input(_("Consulted on"), value=None)
            if st.form_submit_button(_("Add stakeholder")):
                if call(add_stakeholder, {"name": name, "department": dept, "influence": influence, "title": role,
                                          "expectations": expectations, "needs": needs, "consulted": consulted,
                                          "consulted_on": consulted_on}):
                    st.success(_("Added {name}.").format(name=name))
