"""Starting the portal in AppTest as a given demo user, and reading what it shows."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from crm.core.database import session_scope
from crm.core.i18n import set_language
from db.models import Customer
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


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    """The button labelled ``label`` (StopIteration when the screen has none)."""
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    """Everything written on the screen, for 'the user sees X' assertions."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)


def exportable(url: str) -> tuple[int, int]:
    """Customers an export holds (neither archived nor erased), and how many of them consented to sharing."""
    with session_scope(url) as session:
        rows = session.execute(select(Customer.consent_third_party, func.count()).where(
            Customer.archived_at.is_(None), Customer.erased_at.is_(None)).group_by(Customer.consent_third_party))
        counts = {bool(consented): n for consented, n in rows}
    return counts.get(True, 0) + counts.get(False, 0), counts.get(True, 0)
