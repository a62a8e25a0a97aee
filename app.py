"""CRM portal entry point: page config, sign-in, and the pages this user may open.

One file, two roles. ``streamlit run app.py`` finds ``app = st.App(...)`` below and serves it with uvicorn,
which imports this file as the module ``app``: that builds the server only (its start-up in ui/startup.py,
the HTTP API of api/routes.py). Each browser session then runs this file as the script ``__main__``: that
draws the portal only.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from crm.core import config
from crm.core.access import DEPARTMENTS, ROLES, Actor
from crm.core.database import ready, session_scope
from crm.core.i18n import _, datetime, label
from ui.navigation import PAGES, PageSpec, pages_for
from crm.accounts.security import (
    check_session,
    cookie_still_valid,
    end_all_sessions,
    record_failed_sign_in,
    start_session,
)
from tools.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from crm.accounts.users import actor_for, count_users, login_credentials
from crm.settings.rights import refresh as refresh_rights
from crm.accounts.sign_in_cookie import COOKIE_DAYS, COOKIE_NAME
from ui.currency import apply_currency
from ui.language import adopt_saved_language, apply_language, language_selector, lay_out_for_language
from ui.time_zone import apply_time_zone, browser_time_zone, time_zone_selector
from ui.sign_in_cookie import forget_sign_in, keep_signed_in
from ui.warm_up import warm_up

ROOT = Path(__file__).resolve().parent
# the tab icon is served by the portal itself (a Material icon name would be fetched from Google's font server),
# from static/ by its address: a file path would be read, decoded and registered as media on every run
FAVICON = "/app/static/favicon.png"


def prepare_database() -> tuple[dict, int]:
    """Read the login credentials. The server migrated and seeded the database before it let anyone in
    (ui/startup.py); ready() here costs nothing then, and migrates when the script runs without that server
    (AppTest). A script run never seeds."""
    ready()
    with session_scope() as session:
        return login_credentials(session=session), count_users(session=session)


def sign_in_screen(user_count: int) -> None:
    """What sits above the sign-in form: the title, the language, and one line on how to get in."""
    st.title(_("CRM portal"))
    language_selector()
    if config.demo_mode():
        st.info(
            _("**This is a demo.** It runs on an embedded database filled with made-up customers. "
              "Every demo account uses the password `{password}`.").format(password=DEMO_PASSWORD)
        )
    elif user_count == 0:
        st.warning(
            _("No user account exists yet. An operator creates the first administrator on the "
              "server with `{command}`.").format(
                command='python -m crm create-user USERNAME --name "Full Name" --role admin --department it')
        )


def demo_accounts() -> None:
    """The demo accounts, below the sign-in form (and its error), so that the form fits the first screen."""
    if config.demo_mode():
        st.table(
            [
                {_("Username"): username, _("Name"): name, _("Department"): label(DEPARTMENTS, dept),
                 _("Role"): label(ROLES, role)}
                for username, (name, dept, role) in DEMO_ACCOUNTS.items()
            ]
        )


def refuse_stale_cookie(cookie_key: str) -> None:
    """Make streamlit-authenticator ignore a sign-in cookie issued before the user's sessions were ended."""
    token = st.context.cookies.get(COOKIE_NAME)
    if not token or st.session_state.get("authentication_status"):
        return
    try:
        data = jwt.decode(token, cookie_key, algorithms=["HS256"])
        issued = dt.datetime.fromtimestamp(float(data["exp_date"]) - COOKIE_DAYS * 86400, dt.timezone.utc)
        username = str(data["username"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return
    with session_scope() as session:
        if not cookie_still_valid(username, issued, session=session):
            st.session_state["logout"] = True  # the library then ignores the cookie


def note_failed_sign_in(credentials: dict, was_failed_before: bool, time_zone: str | None) -> None:
    """Count a wrong password against the account (lockout) and tell the person plainly, giving the end
    of a lock on the clock of ``time_zone`` (the browser's; UTC, said so, when unknown)."""
    failed = [u for u, c in credentials["usernames"].items() if c.get("failed_login_attempts")]
    with session_scope() as session:
        until = None
        for username in failed:
            until = record_failed_sign_in(username, session=session) or until
        if not failed and not was_failed_before:  # an unknown username (reruns after a failure are not new attempts)
            record_failed_sign_in("(unknown)", session=session)
    if until:
        when = datetime(until, "short", tz=time_zone) if time_zone else f"{datetime(until, 'short', tz='UTC')} UTC"
        st.error(_("Too many failed sign-ins: this account is locked until {time}. "
                   "Try again then, or ask an administrator to reset the password.").format(time=when))
    else:
        st.error(_("Username or password is incorrect."))


def sidebar_identity(who: Actor, authenticator: stauth.Authenticate) -> None:
    with st.sidebar:
        st.markdown(f"**{who.full_name}** (`{who.username}`)")
        st.caption(f"{who.department_name} · {who.role_name}")
        language_selector(who)
        apply_time_zone(who)
        time_zone_selector(who)
        authenticator.logout(_("Logout"), location="sidebar", key="crm_logout")


def end_browser_session(authenticator: stauth.Authenticate, message: str | None) -> None:
    st.session_state.pop("crm_session_id", None)
    st.session_state.pop("actor", None)
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")
    if message:
        st.warning(message)


def current_actor(authenticator: stauth.Authenticate) -> Actor | None:
    """The signed-in user whose server-side session is still valid, else None (signed out)."""
    if not st.session_state.get("authentication_status"):
        return None
    session_id = st.session_state.get("crm_session_id")
    with session_scope() as session:
        refresh_rights(session)  # an administrator's change of rights holds from this click on, on every server
        who = actor_for(st.session_state["username"], session=session)
        if who is None:
            end_browser_session(authenticator, _("Your account is not active."))
            return None
        if session_id is None:
            st.session_state["crm_session_id"] = start_session(who.user_id, session=session)
        else:
            check = check_session(session_id, session=session)
    if session_id is None:  # just signed in (after the session above is committed: SQLite has one writer)
        adopt_saved_language(who)
        return who
    if not check.allowed:
        end_browser_session(authenticator, check.message)
        return None
    return who


def page_addresses(specs: Iterable[PageSpec]) -> dict[str, str]:
    """The address (URL path) of each of these screens -> its name in the user's language."""
    return {st.Page(spec.path).url_path: _(spec.title) for spec in specs if (ROOT / spec.path).exists()}


def refused_pages(who: Actor) -> dict[str, str]:
    """The address of each screen ``who`` may not open -> its name in the user's language."""
    allowed = set(pages_for(who))
    return page_addresses(spec for spec in PAGES if spec not in allowed)


def menu_for(who: Actor, refused: dict[str, str]) -> dict[str, list[st.Page]]:
    """The pages ``who`` may open, by menu section; and at the address of each page in ``refused``, a hidden
    copy of Home (opening such a page by its URL then says it is not available, instead of silently
    showing Home or Streamlit's English "Page not found")."""
    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(who):
        if (ROOT / spec.path).exists():
            section = sections.setdefault(_(spec.section), [])
            section.append(st.Page(spec.path, title=_(spec.title), icon=spec.icon, default=spec.title == "Home"))
            if spec.title == "Home":
                section.extend(st.Page(spec.path, title=_(spec.title), url_path=url_path, visibility="hidden")
                               for url_path in refused)
    return sections


def main() -> None:
    warm_up()
    apply_language()
    apply_time_zone()
    try:
        credentials, user_count = prepare_database()
        cookie_key = config.cookie_key()
    except config.ConfigError as exc:
        st.error(str(exc))
        st.stop()
    apply_currency()

    authenticator = stauth.Authenticate(
        credentials,
        cookie_name=COOKIE_NAME,
        cookie_key=cookie_key,
        # 0: the library writes no cookie (it would from a page script, readable by any script); the portal's
        # server sets the same token HttpOnly instead (keep_signed_in), and the library reads it server-side
        cookie_expiry_days=0,
        auto_hash=False,
        login_sleep_time=0,
    )

    who = current_actor(authenticator)
    if who is not None:
        sidebar_identity(who, authenticator)
        if not st.session_state.get("authentication_status"):  # Logout was just clicked
            with session_scope() as session:
                end_all_sessions(who.user_id, "logout", session=session, actor=who)
            st.session_state.pop("crm_session_id", None)
            who = None

    if who is None:
        sign_in_screen(user_count)
        refuse_stale_cookie(cookie_key)
        was_failed_before = st.session_state.get("authentication_status") is False
        # the form's own heading would be an h3 right under the page's h1: the level between is ours
        st.header(_("Sign in"))
        authenticator.login(location="main", key="login", fields={
            "Form name": "", "Username": _("Username"), "Password": _("Password"), "Login": _("Sign in")})
        if st.session_state.get("authentication_status") is False:
            note_failed_sign_in(credentials, was_failed_before, browser_time_zone())
        who = current_actor(authenticator)
        if who is None:
            demo_accounts()
        else:
            sidebar_identity(who, authenticator)

    lay_out_for_language()
    if who is None:
        forget_sign_in()
        st.session_state.pop("actor", None)
        # every screen's address shows the sign-in screen (not Streamlit's "Page not found"), and after the
        # sign-in the person is on the screen they asked for
        st.navigation([st.Page(lambda: None, title=_("Sign in"), url_path=url_path)
                       for url_path in ["signin", *page_addresses(PAGES)]], position="hidden")
        return

    st.session_state["actor"] = who
    with st.sidebar:
        keep_signed_in(who.username, cookie_key)
    refused = refused_pages(who)
    # .streamlit/config.toml starts with the menu hidden (see there): a signed-in user's menu turns it on
    if st.get_option("client.showSidebarNavigation") is False:
        st.set_option("client.showSidebarNavigation", True)
    page = st.navigation(menu_for(who, refused))
    if page.url_path in refused:
        st.warning(_("The page '{page}' is not available to your account.").format(page=refused[page.url_path]))
    page.run()


if __name__ == "__main__":  # a browser session's run of the script (AppTest's too)
    st.set_page_config(page_title="CRM", page_icon=FAVICON, layout="wide")
    main()
else:  # imported by the server that `streamlit run app.py` starts
    from api.routes import routes
    from ui.startup import lifespan

    app = st.App(__file__, lifespan=lifespan, routes=routes())
