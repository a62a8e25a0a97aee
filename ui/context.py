"""The signed-in actor, service calls with plain error messages, small widgets."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException

from crm.core import audit
from crm.core.access import Actor
from crm.core.database import ConnectionLost, session_scope
from crm.core.errors import CRMError, PermissionDenied, ValidationError
from crm.core.i18n import _, set_language, set_time_zone
from ui.language import STATE as LANGUAGE
from ui.time_zone import STATE as TIME_ZONE

T = TypeVar("T")
ENTRY_POINT = "app.py"


def actor() -> Actor:
    """The signed-in user (app.py puts it in session state before any page runs)."""
    current = st.session_state.get("actor")
    if LANGUAGE in st.session_state:  # app.py set it; again here for a page run on its own (AppTest reruns)
        set_language(st.session_state[LANGUAGE])
    if TIME_ZONE in st.session_state:
        set_time_zone(st.session_state[TIME_ZONE])
    if current is None:
        _to_sign_in()
        st.error(_("Please sign in."))
        st.stop()
    return current


def _to_sign_in() -> None:
    """Hand over to the portal's entry point (its sign-in screen). app.py signs the person in and sets the
    actor before it runs any page: a page runs without it only as Streamlit's fallback for a pages/ folder,
    on a fresh server's first request (to a screen's address) before app.py has called st.navigation."""
    try:
        st.switch_page(ENTRY_POINT)
    except StreamlitAPIException:  # not registered as a page: app.py's own navigation is in charge
        pass


def call(fn: Callable[..., T], *args: Any, errors_into: Any = None, **kwargs: Any) -> T | None:
    """Run a service as the signed-in user in its own transaction.

    Domain errors become a plain message (in ``errors_into`` if given) and
    ``None`` is returned; nothing is half-written because the transaction
    rolls back.
    """
    who = actor()
    target = errors_into or st
    try:
        try:
            with session_scope() as session:
                return fn(who, *args, session=session, **kwargs)
        except ConnectionLost as lost:  # the database restarted: once more, on a fresh connection
            if not lost.retry_safe:
                raise
            with session_scope() as session:
                return fn(who, *args, session=session, **kwargs)
    except ValidationError as exc:
        lines = "\n".join(f"- {msg}" for msg in exc.errors.values())
        target.error(_("Nothing was saved. Please correct:\n{problems}").format(problems=lines))
    except PermissionDenied as exc:
        _record_refusal(who, exc)
        target.error(exc.message)
    except CRMError as exc:
        target.error(exc.message)
    return None


def _record_refusal(who: Actor, exc: PermissionDenied) -> None:
    try:
        with session_scope() as session:
            audit.record(session, who, "refused", "capability", exc.capability, detail=exc.message)
    except Exception:  # never let the audit of a refusal break the page
        pass


def flash(message: str) -> None:
    """Show ``message`` as a success note after the next rerun."""
    st.session_state["_flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("_flash", None)
    if message:
        st.success(message)
