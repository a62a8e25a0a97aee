"""The 'log an interaction' form, used on the Interactions page and on a customer's profile."""
from __future__ import annotations

import streamlit as st

from crm.core.i18n import _, label
from crm.interactions.service import DIRECTIONS, log_interaction
from crm.settings.fields import fields_for
from ui.context import call, flash
from ui.custom_fields import custom_inputs
from ui.lists import managed


def interaction_form(key: str, *, customer_id: int | None = None, options: dict[str, int] | None = None) -> None:
    """A form for one customer (``customer_id``) or with a customer picker (``options``: label -> id).

    On a profile (``customer_id``) a logged interaction reruns the screen, so that its timeline and counts
    show it at once, with the confirmation above them. The picker preselects the customer only when the search found exactly one; of several, the
    user picks one before the form can be saved.
    """
    chosen = None
    custom_fields = call(fields_for, "interactions") or []
    if options is not None:  # outside the form: picking one enables "Log interaction" at once
        chosen = st.selectbox(_("Customer"), list(options), index=0 if len(options) == 1 else None,
                              placeholder=_("Several customers match: choose one") if options
                              else _("Search for the customer above"))  # no key: a new search, a new pick
    chans, kinds, outcomes = managed("channels"), managed("feedback_kinds"), managed("outcomes")
    with st.form(key, clear_on_submit=True):
        st.markdown("**" + _("Log an interaction") + "**")
        c1, c2, c3 = st.columns(3)
        channel = c1.selectbox(_("Channel"), chans.offered(), format_func=chans.label)
        direction = c2.selectbox(_("Direction"), list(DIRECTIONS), format_func=lambda d: label(DIRECTIONS, d))
        follow_up = c3.date_input(_("Follow-up date"), value=None)
        subject = st.text_input(_("Subject"))
        notes = st.text_area(_("Notes"))
        if outcomes.offered():  # the managed outcomes, or one typed
            outcome = st.selectbox(_("Outcome"), outcomes.offered(), index=None, accept_new_options=True,
                                   format_func=outcomes.label, placeholder=_("Choose or type an outcome"))
        else:
            outcome = st.text_input(_("Outcome"))
        c4, c5 = st.columns(2)
        kind = c4.selectbox(_("Feedback"), [None, *kinds.offered()],
                            format_func=lambda k: _("(no feedback)") if k is None else kinds.label(k))
        tags = c5.text_input(_("Tags (comma separated)"), placeholder=_("e.g. mobile app, reporting"))
        custom = custom_inputs(custom_fields, None, key)
        if not st.form_submit_button(_("Log interaction"), type="primary",
                                     disabled=options is not None and chosen is None):
            return
    target = customer_id if options is None else (options.get(chosen) if chosen else None)
    if target is None:
        st.error(_("Nothing was saved. Please choose the customer first."))
        return
    saved = call(log_interaction, target, channel=channel, direction=direction, subject=subject, notes=notes,
                 outcome=outcome, follow_up_on=follow_up, feedback_kind=kind, tags=tags, custom=custom)
    if saved:
        message = _("Logged '{subject}' for {customer}; every department sees it now.").format(
            subject=saved.subject, customer=saved.customer)
        if customer_id is None:
            st.success(message)
            return
        flash(message)
        st.rerun()  # the profile above was read before this interaction existed
