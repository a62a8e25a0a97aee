"""Users: accounts, departments and roles, deactivation, password resets, and who may do what."""
import streamlit as st

from crm.accounts.api_keys import create_key, list_keys, revoke_key
from crm.core.access import CAPABILITIES, ROLES, can
from crm.core.i18n import _, date, datetime, label, money, ngettext, number
from crm.accounts.users import MIN_PASSWORD_LENGTH, create_user, list_users, reset_password, set_active, update_user
from crm.settings.currency import currency_choices, currency_for_page, set_currency
from ui.capability_table import capability_table
from ui.context import actor, call, flash, show_flash
from ui.formatting import dataframe, table_of
from ui.lists import managed


DEPTS = managed("departments")  # the managed list: built-in departments and those an admin added


def department_label(code: str) -> str:
    return DEPTS.listed(code)


def role_label(code: str) -> str:
    return label(ROLES, code)


who = actor()  # signed in (and this session's language in use)
st.title(_("Users"))
show_flash()
users = call(list_users) or []
dataframe(table_of([{
    _("Username"): u.username, _("Name"): u.full_name, _("Department"): department_label(u.department),
    _("Role"): role_label(u.role), _("Active"): u.active,
    _("Locked until"): datetime(u.locked_until) if u.locked_until else "",
    _("Last sign-in"): datetime(u.last_login_at) if u.last_login_at else "",
} for u in users]), hide_index=True, width="stretch")

with st.expander(_("New user")):
    with st.form("new_user", clear_on_submit=True):
        c1, c2 = st.columns(2)
        username = c1.text_input(_("Username"))
        full_name = c2.text_input(_("Full name"))
        department = c1.selectbox(_("Department"), DEPTS.offered(), format_func=department_label)
        role = c2.selectbox(_("Role"), list(ROLES), format_func=role_label)
        email = c1.text_input(_("E-mail (optional)"))
        password = c2.text_input(
            ngettext("Initial password (at least {n} character)", "Initial password (at least {n} characters)",
                     MIN_PASSWORD_LENGTH).format(n=number(MIN_PASSWORD_LENGTH)),
            type="password")
        if st.form_submit_button(_("Create user"), type="primary"):
            created = call(create_user, username=username, full_name=full_name, department=department, role=role,
                           password=password, email=email or None)
            if created:
                flash(_("Created {username}.").format(username=created.username))
                st.rerun()

st.header(_("Change an account"))
by_label = {f"{u.full_name} ({u.username})": u for u in users}
chosen = st.selectbox(_("Account"), list(by_label), index=None, placeholder=_("Choose an account"))
if chosen:
    u = by_label[chosen]
    departments = DEPTS.offered(keep=u.department)
    role_code = u.role if u.role in ROLES else next(iter(ROLES))
    with st.form(f"edit_user_{u.id}"):
        c1, c2, c3 = st.columns(3)
        name = c1.text_input(_("Full name"), value=u.full_name, key=f"edit_name_{u.id}")
        dept = c2.selectbox(_("Department"), departments, index=departments.index(u.department),
                            format_func=department_label, key=f"edit_department_{u.id}")
        role = c3.selectbox(_("Role"), list(ROLES), index=list(ROLES).index(role_code), format_func=role_label,
                            key=f"edit_role_{u.id}")
        if st.form_submit_button(_("Save account")):
            if call(update_user, u.id, department=dept, role=role, full_name=name):
                flash(_("Saved {username}; a change of rights signs them out everywhere.").format(
                    username=u.username))
                st.rerun()
    b1, b2 = st.columns(2)
    if u.active:
        if b1.button(_("Deactivate (ends all their sessions)")):
            call(set_active, u.id, False)
            flash(_("Deactivated {username}.").format(username=u.username))
            st.rerun()
    elif b1.button(_("Reactivate")):
        call(set_active, u.id, True)
        flash(_("Reactivated {username}.").format(username=u.username))
        st.rerun()
    with b2:
        new_password = st.text_input(_("New password (empty: generate one)"), type="password", key=f"pw_{u.id}")
        if st.button(_("Reset password")):
            password = call(reset_password, u.id, new_password or None)
            if password:
                st.success(_("Password reset; their sessions have ended. Give them this password in person "
                             "(shown once):"))
                st.code(password if not new_password else _("(the password you typed)"))

if can(who, "api_keys.manage"):
    st.header(_("API keys"))
    st.caption(_("Other systems (the web shop, the helpdesk...) call the portal's API under /api/v1 with a key. "
                 "Each key acts as one user, with all or some of that user's rights; the documentation is at "
                 "/api/docs."))
    keys = call(list_keys) or []
    if keys:
        dataframe(table_of([{
            _("Key"): k.name, _("Acts as"): k.username,
            _("Capabilities"): ", ".join(k.capabilities) if k.capabilities is not None else _("all of the user's"),
            _("Expires"): date(k.expires_on) if k.expires_on else "",
            _("Last used"): datetime(k.last_used_at) if k.last_used_at else _("never"),
            _("Revoked"): datetime(k.revoked_at) if k.revoked_at else "",
        } for k in keys]), hide_index=True, width="stretch")
    with st.expander(_("New API key")):
        with st.form("new_api_key", clear_on_submit=True):
            c1, c2 = st.columns(2)
            key_name = c1.text_input(_("Key name"))
            key_user = c2.selectbox(_("Acts as user"), [u.username for u in users if u.active])
            key_caps = st.multiselect(_("Only these capabilities (none chosen: all of the user's)"), list(CAPABILITIES))
            key_expires = c1.date_input(_("Expires on (optional)"), value=None)
            made = None
            if st.form_submit_button(_("Create API key"), type="primary"):
                made = call(create_key, key_name, key_user or "", key_caps or None, key_expires)
        if made:
            info, secret = made
            st.success(_("Created the API key {name}. Copy its secret now: it is shown this once and never "
                         "stored.").format(name=info.name))
            st.code(secret, language=None)
    active_keys = [k.name for k in keys if k.revoked_at is None]
    if active_keys:
        c1, c2 = st.columns([3, 1])
        to_revoke = c1.selectbox(_("Revoke a key"), active_keys, index=None, placeholder=_("Choose a key"))
        if c2.button(_("Revoke key"), disabled=to_revoke is None):
            if call(revoke_key, to_revoke):
                flash(_("Revoked the API key {name}; every server refuses it now.").format(name=to_revoke))
                st.rerun()

if can(who, "settings.manage"):
    st.header(_("Portal settings"))
    current = call(currency_for_page) or "USD"
    choices = currency_choices()
    with st.form("portal_currency"):
        code = st.selectbox(_("Currency of every amount"), list(choices), index=list(choices).index(current)
                            if current in choices else None, format_func=lambda c: f"{c} — {choices[c]}",
                            help=_("Budgets, revenue and prices on every screen are shown in this currency, "
                                   "written the way each user's language writes money."))
        if st.form_submit_button(_("Save currency")):
            saved = call(set_currency, code)
            if saved:
                flash(_("Amounts are now shown in {currency}, e.g. {example}.").format(
                    currency=choices.get(saved, saved), example=money(1234.5)))
                st.rerun()

st.header(_("Who may do what"))
st.caption(_("The capability table enforced by the service layer on every call."))
dataframe(capability_table(), hide_index=True, width="stretch")
