"""Starting the portal in AppTest as a given demo user."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from crm.core.i18n import set_language
from tools.seed import DEMO_ACCOUNTS

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def signed_in(username: str, page: str | None = None, timeout: float = 30, language: str | None = None) -> AppTest:
    """The portal as ``username`` (session state set as after a sign-in), on ``page``,
    in ``language`` when given (as if picked on the sign-in screen)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if language:
        at.session_state["crm_language"] = language
        at.session_state["crm_language_picked"] = True
    # AppTest calls a widget's format_func in the test's thread too: speak the same language there
    set_language(language or "en")
    full_name = DEMO_ACCOUNTS[username][0]
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = full_name
    at.session_state["roles"] = [DEMO_ACCOUNTS[username][2]]
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    """Everything written on the screen, for 'the user sees X' assertions."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)
