"""The portal shell: sign-in screen, identity in the sidebar, pages per role."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import PAGES
from tools.seed import DEMO_ACCOUNTS
from tests.app.helpers import APP, signed_in, texts
from tests.unit.test_access import EXPECTED

# Pages each demo account must be able to open (the product's page names).
ALLOWED_PAGES: dict[str, set[str]] = {
    "admin": {"Home", "Customers", "Interactions", "Insights", "Budget", "Checklist", "Requirements",
              "Import", "Data sources", "Data quality", "Privacy", "Users", "Audit log",
              "Webhooks", "Rights", "Lists of values", "Templates", "Custom fields"},
    "sales": {"Home", "Customers", "Interactions", "Insights", "Checklist", "Requirements"},
    "salesmgr": {"Home", "Customers", "Interactions", "Insights", "Budget", "Checklist", "Requirements",
                 "Import", "Data sources", "Data quality"},
    "marketing": {"Home", "Customers", "Interactions", "Insights", "Checklist", "Requirements"},
    "service": {"Home", "Customers", "Interactions", "Checklist", "Requirements"},
    "support": {"Home", "Customers", "Interactions", "Checklist", "Requirements"},
    "training": {"Home", "Customers", "Interactions", "Checklist", "Requirements"},
    "hr": {"Home", "Customers", "Interactions", "Checklist", "Requirements"},
    "comp": {"Home", "Customers", "Interactions", "Checklist", "Requirements"},
    "budget": {"Home", "Customers", "Interactions", "Insights", "Budget", "Checklist", "Requirements"},
    "sponsor": {"Home", "Customers", "Interactions", "Insights", "Budget", "Checklist", "Requirements"},
    "it": {"Home", "Customers", "Interactions", "Checklist", "Requirements"},
}


def test_sign_in_screen_says_demo_and_lists_demo_accounts(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    shown = texts(at)
    assert "This is a demo" in shown
    table = at.table[0].value
    assert set(table["Username"]) == set(DEMO_ACCOUNTS)
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_wrong_password_is_refused_with_a_plain_message(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input[0].input("sales")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    assert "Username or password is incorrect" in texts(at)
    assert "actor" not in at.session_state


def test_sign_in_with_the_form_shows_identity_and_home(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input[0].input("support")
    at.text_input[1].input("demo")
    at.button[0].click().run()
    assert not at.exception
    sidebar = "\n".join(str(m.value) for m in [*at.sidebar.markdown, *at.sidebar.caption])
    assert "Budi Santoso" in sidebar and "Technical support" in sidebar and "Staff" in sidebar
    assert any(b.label == "Logout" for b in at.sidebar.button)
    assert "Home" in [t.value for t in at.title]


@pytest.mark.parametrize("username", sorted(DEMO_ACCOUNTS))
def test_each_account_opens_exactly_its_pages(app_env, username: str) -> None:
    at = signed_in(username)
    assert not at.exception, at.exception
    for spec in PAGES:
        if spec.title in ALLOWED_PAGES[username]:
            if not (Path(APP).parent / spec.path).exists():
                continue  # screen not built yet
            at.switch_page(spec.path).run()
            assert not at.exception, (username, spec.title, at.exception)
            assert not [e for e in at.error if "permission" in str(e.value).lower()], spec.title
        else:
            # a fresh session: AppTest does not re-check registration once a page was switched to
            with pytest.raises(ValueError):
                signed_in(username).switch_page(spec.path).run()


def test_page_table_matches_capability_table() -> None:
    # a page is offered exactly when its capability is held
    for username, allowed in ALLOWED_PAGES.items():
        for spec in PAGES:
            held = spec.capability in EXPECTED[username]
            assert (spec.title in allowed) == held, (username, spec.title)


def test_home_shows_open_follow_ups_and_counts_for_staff(app_env) -> None:
    at = signed_in("sales")
    assert "My open follow-ups" in texts(at)
    labels = [m.label for m in at.metric]
    assert "Customers" in labels and "Prospects" in labels


def test_outside_demo_mode_a_missing_cookie_key_stops_the_portal(app_env, monkeypatch) -> None:
    from crm.core import config

    monkeypatch.delenv("CRM_DEMO")
    monkeypatch.setenv("CRM_SECRETS_FILE", "/nonexistent/secrets.toml")
    config.reset()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "CRM_COOKIE_KEY" in texts(at)
    assert not at.text_input  # no sign-in form


LANGUAGE_NAMES = ["English", "Bahasa Indonesia", "Български", "اردو"]


def _language_box(boxes):  # type: ignore[no-untyped-def]
    # the label is "Language", or "<translated> · Language" once a language is chosen
    return next(s for s in boxes if "Language" in s.label)


def test_sign_in_screen_offers_the_four_languages(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    box = _language_box(at.selectbox)
    assert box.label == "Language"
    assert list(box.options) == LANGUAGE_NAMES
    assert box.value == "en"


def test_language_picked_in_the_sidebar_is_saved_on_the_account(app_env) -> None:
    from crm.core.database import session_scope
    from crm.accounts.users import actor_for

    at = signed_in("sales")
    assert not at.exception
    box = _language_box(at.sidebar.selectbox)
    assert list(box.options) == LANGUAGE_NAMES
    box.select("bg").run()
    assert not at.exception
    assert at.session_state["crm_language"] == "bg"
    with session_scope(app_env) as session:
        assert actor_for("sales", session=session).language == "bg"
    # the next sign-in (a new browser session) starts in the saved language
    again = signed_in("sales")
    assert again.session_state["crm_language"] == "bg"
    assert _language_box(again.sidebar.selectbox).value == "bg"


@pytest.mark.parametrize("language", ["ur", "bg", "id"])
def test_shell_and_home_render_in_each_language(app_env, language: str) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["crm_language"] = language
    at.run()
    assert not at.exception, at.exception  # the sign-in screen
    at = signed_in("sponsor", language=language)  # Home with counts, rollout progress and budget plans
    assert not at.exception, at.exception
    assert at.session_state["crm_language"] == language


def test_home_and_interactions_count_the_same_open_follow_ups(app_env) -> None:
    # support has twelve open follow-ups in the demo data; Home lists ten of them
    home = signed_in("support")
    metric = next(m for m in home.metric if m.label == "My open follow-ups")
    interactions = signed_in("support", "pages/interactions.py")
    caption = next(str(c.value) for c in interactions.caption if "open ·" in str(c.value))
    assert metric.value == "12" and caption.startswith("12 open")


def test_sponsor_home_shows_rollout_phases_and_plan_statuses_in_the_users_language(app_env) -> None:
    at = signed_in("sponsor", language="bg")
    tables = [d.value for d in at.dataframe]
    rollout = next(t for t in tables if "Фаза" in t.columns)
    plans = next(t for t in tables if "План" in t.columns)
    assert set(rollout["Фаза"]) == {"Подготовка за внедряване", "Внедряване", "Поддръжка"}
    assert set(plans["Статус"]) == {"Чернова", "Одобрен"}


def _main_in_order(at: AppTest) -> list[str]:
    """The main area's elements from top to bottom, each as its kind (and label where it has one)."""
    shown: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for key in sorted(children):
                walk(children[key])
        else:
            shown.append(f"{node.type}:{getattr(node, 'label', '')}")

    walk(at.main)
    return shown


def test_the_sign_in_form_and_its_error_come_before_the_demo_accounts(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input[0].input("sales")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    order = _main_in_order(at)
    table = order.index("table:")
    assert order.index("text_input:Username") < table and order.index("text_input:Password") < table
    error = next(i for i, e in enumerate(order) if e.startswith("error"))
    assert error < table, order


def _browser_time_zone(monkeypatch, zone: str | None) -> None:  # type: ignore[no-untyped-def]
    """The time zone the browser reports (st.context.timezone; AppTest has none of its own)."""
    import streamlit as st

    monkeypatch.setattr(type(st.context), "timezone", property(lambda self: zone))


def _lock_out(username: str) -> AppTest:
    from crm.accounts.security import MAX_FAILED

    at = AppTest.from_file(APP, default_timeout=30).run()
    for _ in range(MAX_FAILED):
        at.text_input[0].input(username)
        at.text_input[1].input("wrong password")
        at.button[0].click().run()
    return at


def _locked_until(db_url: str, username: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from crm.core.database import session_scope
    from db.models import User

    with session_scope(db_url) as session:
        return session.scalar(select(User.locked_until).where(User.username == username))


@pytest.mark.parametrize("zone", ["Asia/Karachi", "America/New_York"])
def test_lockout_says_until_when_on_the_users_own_clock(app_env, monkeypatch, zone: str) -> None:
    from crm.core.i18n import datetime

    _browser_time_zone(monkeypatch, zone)
    at = _lock_out("service")
    until = _locked_until(app_env, "service")
    message = next(str(e.value) for e in at.error if "locked until" in str(e.value))
    assert f"locked until {datetime(until, 'short', tz=zone)}." in message
    assert "UTC" not in message
    local = until.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(zone))  # SQLite gives naive UTC
    assert f"{local.hour % 12 or 12}:{local:%M}" in message


def test_lockout_time_is_in_utc_and_says_so_when_the_browser_gives_no_time_zone(app_env, monkeypatch) -> None:
    from crm.core.i18n import datetime

    _browser_time_zone(monkeypatch, None)
    at = _lock_out("service")
    until = _locked_until(app_env, "service")
    message = next(str(e.value) for e in at.error if "locked until" in str(e.value))
    assert f"locked until {datetime(until, 'short')} UTC." in message
