"""Users: accounts, departments and roles, deactivation, password resets, and who may do what."""
import pandas as pd
import streamlit as st

from crm.access import DEPARTMENTS, ROLES, capability_matrix
from crm.users import create_user, list_users, reset_password, set_active, update_user
from ui.context import call, flash, show_flash

st.title("Users")
show_flash()
users = call(list_users) or []
st.dataframe(pd.DataFrame(users).drop(columns=["id"], errors="ignore"), hide_index=True, width="stretch")

with st.expander("New user"):
    with st.form("new_user", clear_on_submit=True):
        c1, c2 = st.columns(2)
        username = c1.text_input("Username")
        full_name = c2.text_input("Full name")
        department = c1.selectbox("Department", list(DEPARTMENTS), format_func=DEPARTMENTS.get)
        role = c2.selectbox("Role", list(ROLES), format_func=ROLES.get)
        email = c1.text_input("E-mail (optional)")
        password = c2.text_input("Initial password (at least 10 characters)", type="password")
        if st.form_submit_button("Create user", type="primary"):
            created = call(create_user, username=username, full_name=full_name, department=department, role=role,
                           password=password, email=email or None)
            if created:
                flash(f"Created {created.username}.")
                st.rerun()

st.subheader("Change an account")
by_label = {f"{u['Name']} ({u['Username']})": u for u in users}
chosen = st.selectbox("Account", list(by_label), index=None, placeholder="Choose an account")
if chosen:
    u = by_label[chosen]
    dept_code = next(code for code, name in DEPARTMENTS.items() if name == u["Department"])
    role_code = next(code for code, name in ROLES.items() if name == u["Role"])
    with st.form(f"edit_user_{u['id']}"):
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("Full name ", value=u["Name"])
        dept = c2.selectbox("Department ", list(DEPARTMENTS), index=list(DEPARTMENTS).index(dept_code),
                            format_func=DEPARTMENTS.get)
        role = c3.selectbox("Role ", list(ROLES), index=list(ROLES).index(role_code), format_func=ROLES.get)
        if st.form_submit_button("Save account"):
            if call(update_user, u["id"], department=dept, role=role, full_name=name):
                flash(f"Saved {u['Username']}; a change of rights signs them out everywhere.")
                st.rerun()
    b1, b2 = st.columns(2)
    if u["Active"]:
        if b1.button("Deactivate (ends all their sessions)"):
            call(set_active, u["id"], False)
            flash(f"Deactivated {u['Username']}.")
            st.rerun()
    elif b1.button("Reactivate"):
        call(set_active, u["id"], True)
        flash(f"Reactivated {u['Username']}.")
        st.rerun()
    with b2:
        new_password = st.text_input("New password (empty: generate one)", type="password", key=f"pw_{u['id']}")
        if st.button("Reset password"):
            password = call(reset_password, u["id"], new_password or None)
            if password:
                st.success("Password reset; their sessions have ended. Give them this password in person "
                           "(shown once):")
                st.code(password if not new_password else "(the password you typed)")

st.subheader("Who may do what")
st.caption("The capability table enforced by the service layer on every call.")
st.dataframe(pd.DataFrame(capability_matrix()), hide_index=True, width="stretch")
