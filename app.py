"""CRM portal entry point: page config, sign-in, and the pages this user may open."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

from crm import config
from crm.access import Actor
from crm.database import ready, session_scope
from crm.navigation import pages_for
from crm.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, is_empty, seed_demo
from crm.sessions import end_session, sign_in_recorded, start_session
from crm.users import actor_for, count_users, login_credentials

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="CRM portal", page_icon=":material/handshake:", layout="wide")


def prepare_database() -> tuple[dict, int]:
    """Migrate, seed the demo on an empty embedded database, read the login credentials."""
    ready()
    with session_scope() as session:
        if config.demo_mode() and is_empty(session=session):
            seed_demo(session=session)
        return login_credentials(session=session), count_users(session=session)


def sign_in_screen(user_count: int) -> None:
    st.title("CRM portal")
    if config.demo_mode():
        st.info(
            "**This is a demo.** It runs on an embedded database filled with made-up customers. "
            f"Every demo account uses the password `{DEMO_PASSWORD}`."
        )
        st.table(
            [
                {"Username": username, "Name": name, "Department": dept.replace("_", " "),
                 "Role": role.replace("_", " ")}
                for username, (name, dept, role) in DEMO_ACCOUNTS.items()
            ]
        )
    elif user_count == 0:
        st.warning(
            "No user account exists yet. An operator creates the first administrator on the "
            "server with `python -m crm create-user USERNAME --name \"Full Name\" --role admin "
            "--department it`."
        )


def sidebar_identity(who: Actor, authenticator: stauth.Authenticate) -> None:
    with st.sidebar:
        st.markdown(f"**{who.full_name}** (`{who.username}`)")
        st.caption(f"{who.department_name} · {who.role_name}")
        authenticator.logout("Logout", location="sidebar", key="crm_logout")


def main() -> None:
    try:
        credentials, user_count = prepare_database()
        cookie_key = config.cookie_key()
    except config.ConfigError as exc:
        st.error(str(exc))
        st.stop()

    authenticator = stauth.Authenticate(
        credentials,
        cookie_name="crm_portal_auth",
        cookie_key=cookie_key,
        cookie_expiry_days=1,
        auto_hash=False,
        login_sleep_time=0,
    )

    who: Actor | None = None
    if st.session_state.get("authentication_status"):
        with session_scope() as session:
            who = actor_for(st.session_state["username"], session=session)
        if who is None:  # deactivated or deleted since the cookie was issued
            authenticator.logout(location="unrendered")
        else:
            sidebar_identity(who, authenticator)
            if not st.session_state.get("authentication_status"):  # just logged out
                end_session(st.session_state.pop("crm_session_id", None), "logout")
                st.session_state.pop("actor", None)
                who = None

    if who is None:
        sign_in_screen(user_count)
        authenticator.login(location="main", key="login")
        if st.session_state.get("authentication_status") is False:
            st.error("Username or password is incorrect.")
        if st.session_state.get("authentication_status"):
            with session_scope() as session:
                who = actor_for(st.session_state["username"], session=session)
            if who is not None:
                sidebar_identity(who, authenticator)

    if who is None:
        st.session_state.pop("actor", None)
        st.navigation([st.Page(lambda: None, title="Sign in", url_path="signin")], position="hidden")
        return

    st.session_state["actor"] = who
    if not sign_in_recorded(st.session_state.get("crm_session_id")):
        st.session_state["crm_session_id"] = start_session(who)

    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(who):
        if (ROOT / spec.path).exists():
            sections.setdefault(spec.section, []).append(
                st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.title == "Home")
            )
    st.navigation(sections).run()


main()
