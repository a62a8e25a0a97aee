"""Webhooks: the addresses of other systems that hear of changes, their secrets (shown once), the delivery log."""
import pandas as pd
import streamlit as st

from crm.core.i18n import _, datetime, label, number
from crm.webhooks.deliveries import PAGE_SIZE, STATUSES, list_deliveries, retry_delivery
from crm.webhooks.events import EVENTS
from crm.webhooks.registry import delete_webhook, list_webhooks, register_webhook, rotate_secret, update_webhook
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe

SECRET = "webhooks_secret"  # session state: (webhook name, secret) just made: shown once, on the next run
NEW = ("wh_name", "wh_url", "wh_events")  # the form's inputs, cleared after registering


def when(value) -> str:  # noqa: ANN001 - a datetime or None
    return datetime(value, "short") if value else ""


def events_text(codes) -> str:  # noqa: ANN001 - event codes
    return ", ".join(label(EVENTS, code) for code in codes)


who = actor()
st.title(_("Webhooks"))
show_flash()
st.caption(_("Other systems hear of changes in the portal at the addresses registered here. Each delivery is "
             "signed with the webhook's secret (Standard Webhooks) and retried for about two days. Deliveries go "
             "only where an administrator points them: register only systems trusted with customers' data."))

made = st.session_state.pop(SECRET, None)
if made:
    st.success(_("The secret of {name}: copy it into the receiving system now, it is not shown again.").format(
        name=made[0]))
    st.code(made[1], language=None)

hooks = call(list_webhooks) or []
if hooks:
    dataframe(pd.DataFrame([{
        _("Name"): h.name, _("Address"): h.url, _("Events"): events_text(h.events), _("Active"): h.active,
        _("Waiting"): h.pending, _("Delivered (7 days)"): h.delivered, _("Failed (7 days)"): h.failed,
        _("Registered"): when(h.created_at)} for h in hooks]), hide_index=True, width="stretch")
else:
    st.caption(_("No webhooks yet."))

if hooks:
    st.header(_("Change a webhook"))
    by_id = {h.id: h for h in hooks}
    chosen = by_id[st.selectbox(_("Webhook"), list(by_id), format_func=lambda i: by_id[i].name, key="wh_chosen")]
    wanted = st.multiselect(_("Events"), list(EVENTS), default=list(chosen.events),
                            format_func=lambda code: label(EVENTS, code), key=f"wh_events_{chosen.id}")
    active = st.toggle(_("Active (a paused webhook gets nothing new; what waits is sent when it is resumed)"),
                       value=chosen.active, key=f"wh_active_{chosen.id}")
    save_col, rotate_col = st.columns(2)
    if save_col.button(_("Save changes"), key="wh_save", type="primary"):
        if call(update_webhook, chosen.id, version=chosen.version, events=wanted, active=active):
            flash(_("{name} saved.").format(name=chosen.name))
            st.rerun()
    if rotate_col.button(_("New secret"), key="wh_rotate",
                         help=_("The old secret stops working at once: give the new one to the receiver.")):
        rotated = call(rotate_secret, chosen.id, version=chosen.version)
        if rotated is not None:
            st.session_state[SECRET] = (rotated.name, rotated.secret)
            st.rerun()
    with st.expander(_("Delete")):
        sure = st.checkbox(_("I understand: {name} and its delivery log are removed; what waits is never sent.")
                           .format(name=chosen.name), key="wh_delete_sure")
        if st.button(_("Delete webhook"), disabled=not sure, key="wh_delete"):
            if call(delete_webhook, chosen.id, version=chosen.version):
                flash(_("{name} deleted.").format(name=chosen.name))
                st.rerun()

st.header(_("Add a webhook"))
name = st.text_input(_("Name"), key="wh_name", max_chars=80)
url = st.text_input(_("Address (https://...)"), key="wh_url",
                    help=_("The receiving system's address; it must answer a delivery with a 2xx status."))
events = st.multiselect(_("Events"), list(EVENTS), format_func=lambda code: label(EVENTS, code), key="wh_events")
if st.button(_("Register webhook"), key="wh_register", type="primary"):
    registered = call(register_webhook, name, url, events)
    if registered is not None:
        for key in NEW:
            st.session_state.pop(key, None)
        st.session_state[SECRET] = (registered.name, registered.secret)
        st.rerun()

st.header(_("Delivery log"))
filter_col, status_col, page_col = st.columns(3)
names = {h.id: h.name for h in hooks}
webhook_id = filter_col.selectbox(_("Webhook"), [None, *names], key="wh_log_hook",
                                  format_func=lambda i: _("All webhooks") if i is None else names[i])
status = status_col.selectbox(_("Status"), [None, *STATUSES], key="wh_log_status",
                              format_func=lambda s: _("Every status") if s is None else label(STATUSES, s))
page_no = int(page_col.number_input(_("Page"), min_value=1, value=1, step=1, key="wh_log_page"))
log = call(list_deliveries, webhook_id=webhook_id, status=status, page=page_no, page_size=PAGE_SIZE)
if log is not None and log.rows:
    dataframe(pd.DataFrame([{
        _("Number"): d.id, _("Webhook"): d.webhook, _("Event"): label(EVENTS, d.event),
        _("Status"): label(STATUSES, d.status), _("Attempts"): d.attempts,
        _("Last answer"): "" if d.last_status is None else str(d.last_status), _("Last error"): d.last_error or "",
        _("Queued"): when(d.created_at), _("Last attempt"): when(d.last_attempt_at),
        _("Next attempt"): when(d.next_attempt_at), _("Delivered"): when(d.delivered_at)} for d in log.rows]),
        hide_index=True, width="stretch")
    st.caption(_("Page {page} of {pages} ({total} deliveries)").format(
        page=number(page_no), pages=number(log.pages), total=number(log.total) + ("+" if log.more else "")))
    failed = [d for d in log.rows if d.status == "failed"]
    if failed:
        retry_id = st.selectbox(_("Failed delivery"), [d.id for d in failed], key="wh_retry_id",
                                format_func=lambda i: next(f"#{d.id} {label(EVENTS, d.event)} ({d.webhook})"
                                                           for d in failed if d.id == i))
        if st.button(_("Retry now"), key="wh_retry"):
            if call(retry_delivery, retry_id):
                flash(_("Delivery #{number} will be sent again in a moment.").format(number=retry_id))
                st.rerun()
elif log is not None:
    st.caption(_("No deliveries."))
