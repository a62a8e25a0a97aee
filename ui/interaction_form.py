"""The 'log an interaction' form, used on the Interactions page and on a customer's profile."""
from __future__ import annotations

import streamlit as st

from crm.core.i18n import _, label
from crm.interactions.service import CHANNELS, DIRECTIONS, FEEDBACK_KINDS, log_interaction
from ui.context import call, flash


def interaction_form(key: str, *, customer_id: int | None = None, options: dict[str, int] | None = None) -> None:
    """A form for one customer (``customer_id``) or with a customer picker (``options``: label -> id).

    On a profile (``customer_id``) a logged interaction reruns the screen, so that its timeline and counts
    show it at once, with the confirmation above them. The picker preselects the customer only when the search found exactly one; of several, the
    user picks one before the form can be saved.
    """
    chosen = None
    if options is not None:  # outside the form: picking one enables "Log interaction" at once
        chosen = st.selectbox(_("Customer"), list(options), index=0 if len(options) == 1 else None,
                              placeholder=_("Several customers match: choose one") if options
                              else _("Search for the customer above"))  # no key: a new search, a new pick
    with st.form(key, clear_on_submit=True):
        st.markdown("**" + _("Log an interaction") + "**")
        c1, c2, c3 = st.columns(3)
        channel = c1.selectbox(_("Channel"), list(CHANNELS), format_func=lambda c: label(CHANNELS, c))
        direction = c2.selectbox(_("Direction"), list(DIRECTIONS), format_func=lambda d: label(DIRECTIONS, d))
        follow_up = c3.date_input(_("Follow-up date"), value=None)
        subject = st.text_input(_("Subject"))
        notes = st.text_area(_("Notes"))
        outcome = st.text_input(_("Outcome"))
        c4, c5 = st.columns(2)
        kind = c4.selectbox(_("Feedback"), [None, *FEEDBACK_KINDS],
                            format_func=lambda k: _("(no feedback)") if k is None else label(FEEDBACK_KINDS, k))
        tags = c5.text_input(_("Tags (comma separated)"), placeholder=_("e.g. mobile app, reporting"))
        if not st.form_submit_button(_("Log interaction"), type="primary",
                                     disabled=options is not None and chosen is None):
            return
    target = customer_id if options is None else (options.get(chosen) if chosen else None)
    if target is None:
        st.error(_("Nothing was saved. Please choose the customer first."))
        return
    saved = call(log_interaction, target, channel=channel, direction=direction, subject=subject, notes=notes,
                 outcome=outcome, follow_up_on=follow_up, feedback_kind=kind, tags=tags)
    if saved:
        message = _("Logged '{subject}' for {customer}; every department sees it now.").format(
            subject=saved.subject, customer=saved.customer)
        if customer_id is None:
            st.success(message)
            return
        flash(message)
        st.rerun()  # the profile above was read before this interaction existed
